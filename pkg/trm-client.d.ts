// Types of trm-client.js: the TRM runtime in a module worker (wasm; WebGPU with a CPU fallback).

/** Where compute runs. */
export type Backend = "webgpu" | "cpu";
export type BackendRequest = "auto" | Backend;

/** The model's architecture, as in the reference's config (snake_case, like its files). */
export interface TrmConfig {
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  puzzle_emb_ndim: number;
  puzzle_emb_len: number;
  H_cycles: number;
  L_cycles: number;
  L_layers: number;
  hidden_size: number;
  num_heads: number;
  expansion: number;
  pos_encodings: "rope" | "learned" | "none";
  mlp_t: boolean;
  halt_max_steps: number;
  rms_norm_eps: number;
  rope_theta: number;
  no_ACT_continue: boolean;
}

export interface AdapterInfo {
  name: string;
  driver: string;
  deviceType: string;
  backend: string;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** What `load` resolves with. */
export interface ModelInfo {
  config: TrmConfig;
  params: number;
  /** The task whose token layout the model reads, when it is one of the three. */
  task: "sudoku" | "maze" | "arc" | null;
  /** ARC: the names behind the puzzle identifiers (the tasks the model learned). */
  puzzleIdentifiers: string[] | null;
  backend: Backend;
  backendReason: string;
  warmupMs: number;
  /** The file's metadata: `storage`, `trained`, `card` (a JSON model card), ... */
  metadata: Record<string, string>;
  source: "network" | "cache" | "bytes" | "preset";
  url: string | null;
  bytes: number;
  loadMs: number;
  /** Whether the weights are now in the Cache API (URL loads). */
  cached: boolean;
  cacheError?: string;
}

/** One pass of the recursion: after a supervision step, or (with `inner`) after an inner update. */
export interface Pass {
  step: number;
  inner: { kind: "latent"; h: number; l: number } | { kind: "answer"; h: number } | null;
  /** B·seq_len predicted tokens (argmax). */
  tokens: number[];
  /** B·seq_len probabilities of those tokens. */
  confidence: number[];
  /** B halting probabilities, sigmoid(q_halt) (empty for inner passes). */
  haltProb: number[];
  /** B·seq_len: per cell, how far the answer latent z_H (the paper's y) moved during the step,
   * the L2 norm over the hidden size (empty for inner passes). */
  answerChange: number[];
  /** The same for the reasoning latent z_L (the paper's z). */
  reasoningChange: number[];
  ms: number;
  backend: Backend;
}

export interface SolveResult {
  steps: number;
  cancelled: boolean;
  tokens: number[];
  confidence: number[];
  haltProb: number[];
  totalMs: number;
  backend: Backend;
  /** Set when the GPU was lost and the solve finished on the CPU: why. */
  fellBack: string | null;
}

export interface SolveOptions {
  /** Supervision steps (default: the model's halt_max_steps). */
  maxSteps?: number;
  /** Stop when every puzzle's q_halt > 0. */
  stopOnHalt?: boolean;
  /** Also stream a pass after every latent and answer update. */
  inner?: boolean;
  /**
   * Continue from the state the last solve ended in (finished or cancelled) on these tokens —
   * "think longer", or an edited puzzle the model must recover on. Same batch size as that
   * solve; `maxSteps` counts its steps too.
   */
  resume?: boolean;
}

export interface Progress {
  type: "stage" | "progress";
  /** "downloading", "reading cache", "parsing", "uploading", "compiling shaders", "warming up", "measuring",
   *  "loading WebGPU" (backend "auto" moving a slow model from the CPU-only module to the WebGPU one) */
  stage: string;
  loaded: number;
  total: number | null;
  fromCache: boolean;
}

export interface Ready {
  backend: Backend;
  reason: string;
  adapter: AdapterInfo | null;
  webgpuError: string | null;
  /** The CPU backend's thread count (the threaded module where the page is cross-origin isolated); null on WebGPU. */
  threads: number | null;
  /** Why the CPU runs on one thread, when it does. */
  threadsNote: string | null;
  /** Whether the runtime's CPU matrix products use relaxed SIMD's fused multiply-add (where the browser has it). */
  relaxedSimd: boolean;
  /** Why they don't, when they don't. */
  relaxedSimdNote: string | null;
}

export declare const WEIGHTS_CACHE: string;

export declare class TrmError extends Error {
  constructor(message: string, options?: { op?: string | null; fatal?: boolean });
  /** The request that failed: "init", "load", "solve", ... */
  op: string | null;
  /** The worker died; the client restarts it. */
  fatal: boolean;
}

export declare class TrmClient extends EventTarget {
  constructor(options?: { backend?: BackendRequest; workerUrl?: string | URL | null });
  readonly requestedBackend: BackendRequest;
  /** Resolves when the runtime has started and chosen its backend. */
  ready: Promise<Ready>;
  isReady: boolean;
  initError: TrmError | null;
  backend: Backend | null;
  backendReason: string | null;
  adapter: AdapterInfo | null;
  webgpuError: string | null;
  threads: number | null;
  threadsNote: string | null;
  relaxedSimd: boolean | null;
  relaxedSimdNote: string | null;
  /** The loaded model, kept until another one is in (a failed load leaves it usable). */
  info: ModelInfo | null;
  solving: boolean;
  /** Load a model from a URL (kept in the Cache API) or from its bytes. */
  load(source: string | URL | Uint8Array | ArrayBuffer | Blob, onProgress?: (p: Progress) => void): Promise<ModelInfo>;
  /** Solve B puzzles (B·seq_len tokens, B puzzle identifiers or none); every pass goes to `onPass`. */
  solve(
    puzzle: { tokens: ArrayLike<number>; puzzleIds?: ArrayLike<number>; puzzleId?: number } | ArrayLike<number>,
    onPass?: ((pass: Pass) => void) | null,
    options?: SolveOptions,
  ): Promise<SolveResult>;
  /** Stop the running solve after its current step; it resolves with `cancelled: true`. */
  cancel(): void;
  /** Test hook: destroy the WebGPU device; the solve continues on the CPU. */
  simulateDeviceLoss(): Promise<unknown>;
  /** Drop every cached weights file; resolves whether there was one. */
  clearCache(): Promise<boolean>;
  static isCached(url: string | URL): Promise<boolean>;
  /** The cached weights files and their sizes. */
  static cachedWeights(): Promise<{ url: string; bytes: number }[]>;
  /** Drop one cached weights file; resolves whether it was there. */
  static uncache(url: string | URL): Promise<boolean>;
  /** Start a fresh worker; the model must be loaded again. */
  restart(): void;
  terminate(reason?: TrmError): void;
}
