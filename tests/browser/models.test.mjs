// www/models.js in Node: the model list, a model's description and its card summary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { WWW } from "./helpers.mjs";
import { parseModelList, describeInfo, cardSummary, cardSolvedTasks, aboutModel, fmtMB, fmtMs } from "../../www/models.js";

const TASKS = ["sudoku", "maze", "arc"];

test("the shipped models.json lists its trained models first, each with a card", () => {
  const models = parseModelList(JSON.parse(readFileSync(path.join(WWW, "models", "models.json"), "utf8")), TASKS);
  assert.ok(models.length >= 5);
  assert.equal(models[0].trained, true);
  for (const m of models.filter((x) => x.trained)) assert.ok(m.card && m.task, m.name);
  assert.deepEqual(models.map((m) => m.index), models.map((_, i) => i));
});

test("odd model lists are read as far as they make sense", () => {
  assert.deepEqual(parseModelList(null, TASKS), []);
  assert.deepEqual(parseModelList({ models: "x" }, TASKS), []);
  const m = parseModelList([{ url: "a.safetensors", task: "chess", size: "big" }, 7, { name: "b" }, { url: "c", bytes: 2e6, trained: "yes" }], TASKS);
  assert.deepEqual(m.map((x) => [x.name, x.task, x.size, x.trained, x.index]), [["a.safetensors", null, null, false, 0], ["c", null, 2e6, false, 1]]);
});

test("descriptions and card summaries", () => {
  const info = { config: { hidden_size: 64, H_cycles: 2, L_cycles: 3, mlp_t: true, halt_max_steps: 16 }, params: 225794, source: "cache", bytes: 908912, warmupMs: 61.7, metadata: { storage: "f32" } };
  assert.equal(describeInfo(info, "sudoku-small", "Sudoku"), "sudoku-small: Sudoku · 0.23M parameters · hidden 64, H=2 L=3, MLP token mixing · 16 supervision steps · f32 weights · 0.91 MB from the browser cache · warm-up 61.7 ms");
  const card = { task: "sudoku", wall_time_secs: 6120, puzzles_seen: 79936, eval_steps: 16, accuracy: [{ band: "givens 45-52", exact: 500, puzzles: 500 }, { band: "givens 24-29", exact: 369, puzzles: 500 }] };
  assert.equal(cardSummary({ card: JSON.stringify(card) }), "Trained from scratch by trm train in 1.7 h on a CPU (79,936 puzzles). Held-out exact accuracy after 16 steps: givens 45-52 100.0%, givens 24-29 73.8%.");
  assert.deepEqual(cardSolvedTasks({ card: JSON.stringify(card) }), [], "a Sudoku card names no ARC tasks");
  const arc = { task: "arc", wall_time_secs: 5044, puzzles_seen: 20692, eval_steps: 16, accuracy: [{ band: "6d0aefbc", exact: 1, puzzles: 1 }, { band: "62c24649", exact: 0, puzzles: 1 }, { band: "e633a9e5", exact: 2, puzzles: 2 }, { band: "half", exact: 1, puzzles: 2 }] };
  assert.deepEqual(cardSolvedTasks({ card: JSON.stringify(arc) }), ["6d0aefbc", "e633a9e5"]);
  assert.equal(cardSummary({ card: JSON.stringify(arc) }), "Trained from scratch by trm train in 1.4 h on a CPU (20,692 generated pairs). Held-out test outputs right at pass@2 after 16 steps: 2 of 4 tasks (6d0aefbc, e633a9e5).");
  const gpu = { ...card, wall_time_secs: 622, puzzles_seen: 37670, hardware: "NVIDIA H200 (Vulkan, burn wgpu); data on 16 CPU threads" };
  assert.equal(cardSummary({ card: JSON.stringify(gpu) }), "Trained from scratch by trm train in 10 min on a GPU (NVIDIA H200) (37,670 puzzles). Held-out exact accuracy after 16 steps: givens 45-52 100.0%, givens 24-29 73.8%.");
  const both = { ...arc, wall_time_secs: 14760, hardware: "Intel(R) Xeon(R) Processor, 1 thread, CPU (burn flex) (to step 10000), then NVIDIA H200 (Vulkan, burn wgpu); data on 3 CPU threads" };
  assert.match(cardSummary({ card: JSON.stringify(both) }), /^Trained from scratch by trm train in 4\.1 h on a CPU, then a GPU \(NVIDIA H200\) \(20,692 generated pairs\)/);
  assert.equal(cardSummary({ card: "{not json" }), null);
  assert.equal(cardSummary({}), null);
  assert.deepEqual(cardSolvedTasks({ card: "{not json" }), []);
  assert.deepEqual([fmtMB(null), fmtMB(5e4), fmtMB(9.1e5), fmtMB(2.3e7), fmtMs(NaN), fmtMs(12.34), fmtMs(123.4)], ["?", "50.0 kB", "0.91 MB", "23.0 MB", "–", "12.3", "123"]);
});

test("the picker's line about a model before it loads", () => {
  const [trained, fixture] = parseModelList(
    [
      { name: "s", url: "s.safetensors", task: "sudoku", trained: true, size: 908912, note: "Held-out exact accuracy: givens 45-52 100.0%." },
      { name: "f", url: "f.safetensors" },
    ],
    TASKS,
  );
  assert.equal(aboutModel(trained), "0.91 MB, trained. Held-out exact accuracy: givens 45-52 100.0%.");
  assert.equal(aboutModel(fixture), "random weights");
  assert.equal(aboutModel(undefined), "");
});
