#!/usr/bin/env python3
"""The anchors for `trm bench`: PyTorch eager and ONNX Runtime (native) running one supervision
step of the reference TRM, same architecture, batch and threads. Never part of CI.

It needs a checkout of the reference repository (SamsungSAILMontreal/TinyRecursiveModels) and
torch, einops, pydantic, onnx and onnxruntime in a throwaway virtualenv:

    python3 -m venv /tmp/anchors && /tmp/anchors/bin/pip install torch einops pydantic onnx onnxruntime
    trm bench --preset sudoku-mlp --batch 1 --steps 5 --threads 2 --json > ours.json
    /tmp/anchors/bin/python scripts/bench-anchors.py --reference PATH/TO/TinyRecursiveModels \\
        --ours ours.json --steps 5 --threads 2

`--ours` is `trm bench --json` output: its `config` is the architecture both sides build (random
weights, fp32) and its `batch` the batch; its own timing is repeated in the output beside the
anchors with the ratios, so run the two commands back to back (absolute times on a shared
machine move by 2x from day to day; ratios from one run hold).

One step is the reference's inner model at evaluation: H_cycles x (L_cycles latent updates and
one answer update), then the output and halting heads, the carry fed back. ONNX Runtime runs the
same step exported with torch.onnx (opset 17), all graph optimisations on. `--save-onnx` keeps
that file: `scripts/bench-anchors-web.mjs` runs it in ONNX Runtime Web beside our browser runtime.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings


def timed(step, steps):
    """Milliseconds of each of `steps` calls after one warm-up call."""
    step()
    out = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        out.append((time.perf_counter() - t) * 1e3)
    return out


def spread(ms):
    return {"ms_per_step_min": min(ms), "ms_per_step_median": statistics.median(ms), "ms_per_step_max": max(ms)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="checkout of the reference repository")
    p.add_argument("--ours", required=True, help="trm bench --json output (architecture, batch, our timing)")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--save-onnx", metavar="PATH", help="keep the exported step (for scripts/bench-anchors-web.mjs)")
    args = p.parse_args()

    warnings.filterwarnings("ignore")  # the exporter's tracing notes; the output is checked below
    sys.path.insert(0, args.reference)
    import numpy as np
    import onnxruntime as ort
    import torch
    from models.recursive_reasoning.trm import TinyRecursiveReasoningModel_ACTV1, TinyRecursiveReasoningModel_ACTV1InnerCarry as Carry

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = json.load(open(args.ours))
    arch, batch = ours["config"], ours["batch"]
    cfg = dict(arch, batch_size=batch, H_layers=0, halt_exploration_prob=0.1, forward_dtype="float32")
    inner = TinyRecursiveReasoningModel_ACTV1(cfg).inner.eval()

    class Step(torch.nn.Module):
        """One supervision step with the carry as plain tensors, so it exports."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, z_h, z_l, inputs, puzzle_identifiers):
            carry, logits, (q_halt, _) = self.inner(Carry(z_H=z_h, z_L=z_l), {"inputs": inputs, "puzzle_identifiers": puzzle_identifiers})
            return carry.z_H, carry.z_L, logits, q_halt

    step = Step(inner).eval()
    inputs = torch.randint(1, arch["vocab_size"], (batch, arch["seq_len"]), dtype=torch.int32)
    ids = torch.zeros(batch, dtype=torch.int32)
    start = inner.reset_carry(torch.ones(batch, dtype=torch.bool), inner.empty_carry(batch))
    state = [start.z_H.clone(), start.z_L.clone()]

    def torch_step():
        with torch.inference_mode():
            z_h, z_l, _, _ = step(state[0], state[1], inputs, ids)
        state[0], state[1] = z_h, z_l

    pt = timed(torch_step, args.steps)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "step.onnx")
        with torch.no_grad():
            torch.onnx.export(step, (start.z_H, start.z_L, inputs, ids), path, opset_version=17, dynamo=False,
                              input_names=["z_h", "z_l", "inputs", "puzzle_identifiers"],
                              output_names=["z_h_out", "z_l_out", "logits", "q_halt"])
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        if args.save_onnx:
            shutil.copyfile(path, args.save_onnx)
    feed = {"z_h": start.z_H.numpy(), "z_l": start.z_L.numpy(), "inputs": inputs.numpy(), "puzzle_identifiers": ids.numpy()}

    def ort_step():
        z_h, z_l, _, _ = sess.run(None, feed)
        feed["z_h"], feed["z_l"] = z_h, z_l

    # Both runtimes compute the same step: check before timing means anything.
    with torch.inference_mode():
        want = step(start.z_H, start.z_L, inputs, ids)[2].numpy()
    got = sess.run(None, {**feed, "z_h": start.z_H.numpy(), "z_l": start.z_L.numpy()})[2]
    max_err = float(np.max(np.abs(want - got)))
    ox = timed(ort_step, args.steps)

    ours_ms = ours["ms_per_step"]
    pt_med, ox_med = statistics.median(pt), statistics.median(ox)
    print(json.dumps({
        "model": ours.get("model"),
        "params": ours.get("params"),
        "batch": batch,
        "threads": args.threads,
        "ours": {"backend": ours.get("backend"), "ms_per_step_min": ours["ms_per_step_min"], "ms_per_step_median": ours_ms,
                 "ms_per_step_max": ours["ms_per_step_max"]},
        "pytorch": {"version": torch.__version__, **spread(pt)},
        "onnxruntime": {"version": ort.__version__, "max_abs_diff_logits_vs_pytorch": max_err, **spread(ox)},
        "ours_over_pytorch": ours_ms / pt_med,
        "ours_over_onnxruntime": ours_ms / ox_med,
    }, indent=2))


if __name__ == "__main__":
    main()
