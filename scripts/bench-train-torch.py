#!/usr/bin/env python3
"""PyTorch's training throughput on the reference TRM, for comparison with `trm bench --train`.

Never part of CI. It needs a checkout of the reference repository (SamsungSAILMontreal/
TinyRecursiveModels) and torch, einops and pydantic in a throwaway virtualenv:

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch einops pydantic
    trm bench --train --preset sudoku-small --batch 64 --steps 5 --threads 2 --json > ours.json
    /tmp/torchvenv/bin/python scripts/bench-train-torch.py --reference PATH/TO/TinyRecursiveModels \\
        --arch ours.json --batch 64 --steps 5 --threads 2

One step is what the reference's `pretrain.py` does per batch: the ACT model under `ACTLossHead`
(stablemax loss, H_cycles - 1 cycles without gradient), `(loss / batch).backward()`, and an
optimiser step. `adam_atan2` needs CUDA, so torch's AdamW stands in (a few elementwise passes
over the weights either way). The arch comes from `trm bench --train --json` (its `config`) or
a reference config.json, so both sides time the same network.
"""
import argparse
import json
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", required=True, help="checkout of the reference repository")
    p.add_argument("--arch", required=True, help="trm bench --train --json output, or a config.json")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for a GPU (fp32, TF32 off: the same arithmetic as ours)")
    args = p.parse_args()

    sys.path.insert(0, args.reference)
    import torch
    from models.losses import ACTLossHead
    from models.recursive_reasoning.trm import TinyRecursiveReasoningModel_ACTV1

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    arch = json.load(open(args.arch))
    arch = arch.get("config", arch)
    cfg = dict(arch)
    cfg.update(batch_size=args.batch, H_layers=0, halt_exploration_prob=0.1, forward_dtype="float32")
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    with dev:
        model = ACTLossHead(TinyRecursiveReasoningModel_ACTV1(cfg), loss_type="stablemax_cross_entropy")
    model.train()
    dense = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(dense, lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    B, L, V = args.batch, arch["seq_len"], arch["vocab_size"]
    batch = {
        "inputs": torch.randint(1, V, (B, L), dtype=torch.int32, device=dev),
        "labels": torch.randint(1, V, (B, L), dtype=torch.int32, device=dev),
        "puzzle_identifiers": torch.zeros(B, dtype=torch.int32, device=dev),
    }
    with dev:
        carry = model.initial_carry(batch)
    times = []
    for i in range(args.steps + 1):
        t = time.perf_counter()
        carry, loss, _, _, _ = model(carry=carry, batch=batch, return_keys=[])
        ((1 / B) * loss).backward()
        opt.step()
        opt.zero_grad()
        sync()
        if i > 0:
            times.append((time.perf_counter() - t) * 1e3)
    med = statistics.median(times)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__} eager fp32 on {torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu'}",
        "threads": args.threads,
        "batch": B,
        "ms_per_step_min": min(times),
        "ms_per_step_median": med,
        "ms_per_step_max": max(times),
        "sample_steps_per_sec": B * 1e3 / med,
    }, indent=2))


if __name__ == "__main__":
    main()
