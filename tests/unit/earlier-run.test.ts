/**
 * "Left unhealthy by an earlier run" needs evidence that a run touched the
 * node (earlier-run.ts, broken-nodes.ts, pure): a journal, the previous
 * run's record, the cluster's memory. A node merely not ready now (a freshly
 * started 50-node cluster on a loaded machine) is a peer down or unready:
 * never rolled back, never the cause of an "earlier run" refusal.
 */
import * as assert from "assert";
import { brokenOnTarget, unprovenNote } from "../../provider/rollout/broken-nodes";
import { touchedByEarlierRun, type EarlierRunEvidence } from "../../provider/rollout/earlier-run";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import type { NodeRolloutRecord, RolloutRecord } from "../../provider/core/types";

const FROM = "v23.1.11";
const TO = "v23.1.12";

function node(name: string, extra: Partial<NodeObservation> = {}): NodeObservation {
  const base = { name, nodeId: Number(name.slice(1)), process: "running" as const, live: true, draining: false, ready: true };
  return { ...base, build: TO, binaryBuild: TO, errors: [], ...extra };
}

function record(outcome: RolloutRecord["outcome"], nodes: Record<string, NodeRolloutRecord["outcome"]>, to = TO): RolloutRecord {
  const t = "2026-01-01T00:00:00.000Z";
  return {
    ...{ id: "r", from: FROM, to, kind: "patch", startedAt: t, finishedAt: t, outcome },
    nodes: Object.entries(nodes).map(([name, o]) => ({ name, to, outcome: o, phases: [] })),
  };
}

describe("earlier run: evidence that a run touched a node", () => {
  it("no journal, no record, no memory (a fresh cluster being adopted): no evidence, whatever the node's condition", () => {
    assert.strictEqual(touchedByEarlierRun("n1", TO, {}), undefined);
    assert.strictEqual(touchedByEarlierRun("n1", TO, { memory: {} }), undefined);
  });

  it("the journal this run settled is evidence for that node only", () => {
    const ev: EarlierRunEvidence = { journaled: ["n2"] };
    assert.match(String(touchedByEarlierRun("n2", TO, ev)), /journal/);
    assert.strictEqual(touchedByEarlierRun("n1", TO, ev), undefined);
  });

  it("the record: a failed or rolled-back run to this target that touched the node", () => {
    const failed = record("failed", { n1: "upgraded", n2: "failed", n3: "untouched", n4: "skipped" });
    assert.match(String(touchedByEarlierRun("n2", TO, { record: failed })), /last run's record: failed to v23\.1\.12, n2 failed/);
    assert.ok(touchedByEarlierRun("n1", TO, { record: failed }));
    assert.strictEqual(touchedByEarlierRun("n3", TO, { record: failed }), undefined, "untouched by that run");
    assert.strictEqual(touchedByEarlierRun("n4", TO, { record: failed }), undefined, "already on the target then");
    assert.ok(touchedByEarlierRun("n1", TO, { record: record("rolled-back", { n1: "rolled-back" }) }));
    // A run that succeeded left the node healthy; a run to another target says nothing of this one.
    assert.strictEqual(touchedByEarlierRun("n1", TO, { record: record("succeeded", { n1: "upgraded" }) }), undefined);
    assert.strictEqual(touchedByEarlierRun("n1", TO, { record: record("failed", { n1: "failed" }, "v23.1.13") }), undefined);
  });

  it("the cluster's memory: a run to this target that stopped midway or did not end cleanly", () => {
    assert.match(String(touchedByEarlierRun("n1", TO, { memory: { target: TO, phase: "bake n2" } })), /stopped at "bake n2"/);
    assert.match(String(touchedByEarlierRun("n1", TO, { memory: { target: TO, phase: "done: failed" } })), /ended failed/);
    for (const clean of ["done: succeeded", "done: noop", "done: paused"])
      assert.strictEqual(touchedByEarlierRun("n1", TO, { memory: { target: TO, phase: clean } }), undefined, clean);
    assert.strictEqual(touchedByEarlierRun("n1", TO, { memory: { target: FROM, phase: "bake n2" } }), undefined);
  });
});

describe("broken nodes need evidence; the others are peers down or unready", () => {
  const obs = (nodes: NodeObservation[]): Observation => ({ cluster: { nodes, unlistedNodeIds: [] }, nodes, rows: [], unlisted: [] });

  it("a freshly started cluster adopted at its version, nodes briefly not ready: nothing broken, all unproven", () => {
    const o = obs([node("n1", { ready: false }), node("n2", { ready: false }), node("n3")]);
    const r = brokenOnTarget(o, TO, {});
    assert.deepStrictEqual(r.broken, []);
    assert.deepStrictEqual(
      r.unproven.map((n) => n.name),
      ["n1", "n2"],
    );
    const note = String(unprovenNote(r.unproven, TO));
    assert.match(note, /^n1 \(not ready\), n2 \(not ready\) on v23\.1\.12: no journal, rollout record or cluster memory/);
    assert.match(
      note,
      /not rolled back; they are counted as down \(pre-flight refuses a node not running or not live; the guard waits for an unready one, up to strategy\.deadlines\.cluster/,
    );
    assert.strictEqual(unprovenNote([], TO), undefined);
  });

  it("with evidence the node is broken and carries it; a stopped peer without it is not", () => {
    const o = obs([node("n1", { process: "stopped", live: false, ready: false, build: undefined }), node("n2", { ready: false })]);
    const r = brokenOnTarget(o, TO, { record: record("failed", { n2: "failed", n1: "untouched" }) });
    assert.deepStrictEqual(r.broken, [{ name: "n2", evidence: "the last run's record: failed to v23.1.12, n2 failed" }]);
    assert.deepStrictEqual(
      r.unproven.map((n) => n.name),
      ["n1"],
    );
  });
});
