import * as assert from "assert";
import { renderPhaseTable, renderTimeline } from "../../provider/rollout/timeline";
import type { NodeRolloutRecord, Phase, RolloutRecord } from "../../provider/core/types";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function node(
  name: string,
  startS: number,
  phases: Array<[Phase, number]>,
  outcome: NodeRolloutRecord["outcome"] = "upgraded",
): NodeRolloutRecord {
  let t = T0 + startS * 1000;
  return {
    name,
    to: "v23.1.12",
    outcome,
    phases: phases.map(([phase, seconds]) => {
      const rec = { phase, startedAt: new Date(t).toISOString(), durationMs: seconds * 1000, ok: true };
      t += seconds * 1000;
      return rec;
    }),
  };
}

function record(nodes: NodeRolloutRecord[]): RolloutRecord {
  return { id: "r1", from: "v23.1.11", to: "v23.1.12", kind: "patch", startedAt: "", finishedAt: "", outcome: "succeeded", nodes };
}

describe("provider/timeline", () => {
  it("draws one row per node with a letter per phase, in time order", () => {
    const rec = record([
      node("n1", 0, [
        ["drain", 2],
        ["stop", 1],
        ["swap-binary", 1],
        ["start", 2],
        ["await-node", 2],
        ["await-cluster", 2],
        ["bake", 10],
      ]),
      node("n2", 20, [
        ["drain", 2],
        ["stop", 1],
        ["swap-binary", 1],
        ["start", 2],
        ["await-node", 2],
        ["await-cluster", 2],
        ["bake", 10],
      ]),
    ]);
    const lines = renderTimeline(rec, { width: 40 });
    assert.match(lines[0], /v23\.1\.11 -> v23\.1\.12 \(patch\), succeeded, 40s total/);
    const [row1, row2] = [lines[1], lines[2]];
    assert.match(row1, /^n1 {4}DDSWTTRRGGBBBBBBBBBB\.{20} {2}upgraded/);
    assert.match(row2, /^n2 {4}\.{20}DDSWTTRRGGBBBBBBBBBB {2}upgraded/);
    assert.match(lines[lines.length - 1], /D drain/);
  });

  it("never loses a short phase: every phase gets at least one column", () => {
    const rec = record([
      node("n1", 0, [
        ["drain", 0.01],
        ["stop", 0.01],
        ["bake", 100],
      ]),
    ]);
    const bar = renderTimeline(rec, { width: 20 })[1].split(/\s+/)[1];
    assert.ok(bar.includes("D") || bar.includes("S"), bar);
    assert.strictEqual(bar.length, 20);
  });

  it("says so when no node was touched", () => {
    const lines = renderTimeline(record([{ name: "n1", to: "v23.1.12", outcome: "skipped", phases: [] }]));
    assert.deepStrictEqual(lines, ["v23.1.11 -> v23.1.12: no node was touched (succeeded)"]);
  });

  it("marks rollback phases with X", () => {
    const rec = record([
      node(
        "n1",
        0,
        [
          ["drain", 1],
          ["stop", 1],
          ["start", 1],
          ["rollback", 5],
        ],
        "rolled-back",
      ),
    ]);
    assert.match(renderTimeline(rec, { width: 16 })[1], /X{10}/);
  });

  it("keeps every phase visible when phases are shorter than a column, in order", () => {
    const rec = record([
      node("n1", 0, [
        ["drain", 0.8],
        ["stop", 0.05],
        ["swap-binary", 0.04],
        ["start", 1.3],
        ["await-node", 0.02],
        ["await-cluster", 1],
        ["bake", 30],
      ]),
    ]);
    const bar = renderTimeline(rec, { width: 30 })[1].split(/\s+/)[1];
    assert.match(bar, /^DSWTRGB+\.*$/);
  });

  it("tabulates seconds per phase and node", () => {
    const rec = record([
      node("n1", 0, [
        ["drain", 2],
        ["bake", 10],
      ]),
      node("n2", 12, [
        ["drain", 3],
        ["bake", 10],
      ]),
    ]);
    const [header, r1, r2] = renderPhaseTable(rec);
    assert.match(header, /^node +drain +bake$/);
    assert.match(r1, /^n1 +2\.0s +10s$/);
    assert.match(r2, /^n2 +3\.0s +10s$/);
  });
});
