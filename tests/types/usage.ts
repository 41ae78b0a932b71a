// Compiled by the tests (tsc --noEmit) against the declarations, so they stay true to the API.
import { TrmClient, TrmError, type Pass, type ModelInfo } from "../../pkg/trm-client.js";
import { loadPuzzles, encodePuzzle, puzzleText, judge, editPuzzle, arcVersions, arcVote, mazeVersions, mazeVote, TASKS, type Encoded, type Ballot, type MazeBallot } from "../../pkg/puzzles.js";

export async function demo(): Promise<string> {
  await loadPuzzles();
  const trm = new TrmClient({ backend: "auto" });
  const ready = await trm.ready;
  const backend: "webgpu" | "cpu" = ready.backend;
  const info: ModelInfo = await trm.load("models/sudoku-small.safetensors", (p) => console.log(p.stage, p.loaded, p.total ?? "?"));
  const puzzle: Encoded = encodePuzzle("sudoku", "5", info.config.seq_len);
  const passes: Pass[] = [];
  const result = await trm.solve({ tokens: puzzle.tokens }, (p) => passes.push(p), { maxSteps: TASKS.sudoku.seqLen > 0 ? 16 : 1, inner: false });
  const v = judge("sudoku", puzzle.tokens, result.tokens, puzzle.rows, puzzle.cols, null);
  if (result.fellBack) throw new TrmError(result.fellBack, { op: "solve" });
  const more = await trm.solve({ tokens: puzzle.tokens }, null, { maxSteps: 32, resume: true });
  const edited: string = editPuzzle("arc", "12\n34", { op: "fill", row: 0, col: 0, symbol: "5" });
  const versions = arcVersions(info.puzzleIdentifiers ?? [], "6d0aefbc", edited, info.config.seq_len);
  const ballots: Ballot[] = arcVote(info.puzzleIdentifiers ?? [], versions.puzzleIds, edited, more.tokens, more.haltProb);
  const maze: Encoded = encodePuzzle("maze", "#S G#", 49);
  const mazeBatch: Uint32Array = mazeVersions(maze.tokens);
  const solved = await trm.solve({ tokens: mazeBatch }, null, { maxSteps: 16 });
  const mazeBallots: MazeBallot[] = mazeVote(maze.tokens, solved.tokens, solved.confidence);
  return `${backend} ${passes.length} ${v.summary} ${puzzleText("sudoku", result.tokens)} ${ballots[0]?.votes} ${mazeBallots[0]?.votes}`;
}
