/** The cluster's condition at the end of a run (end-report.ts) and the cluster memory's row mapping. */
import * as assert from "assert";
import { EndReporter, notLiveIn } from "../../provider/rollout/end-report";
import { memoryFromRow, startingBlock } from "../../provider/cluster/memory";
import type { ObservedNode } from "../../provider/core/types";

const well = (name: string): ObservedNode => ({ name, process: "running", live: true, draining: false, ready: true });
const sample = (detail: string) => ({ at: "2026-01-01T00:00:00Z", ok: false, detail });

describe("provider/end-report", () => {
  it("has nothing to say about a well cluster", () => {
    assert.deepStrictEqual(new EndReporter().report([well("n1"), well("n2")]), []);
  });

  it("names a node that is down, not ready or draining at the end", () => {
    const r = new EndReporter().report([
      { ...well("n1"), process: "stopped", live: false, ready: false },
      { ...well("n2"), ready: false },
      { ...well("n3"), draining: true },
    ]);
    assert.strictEqual(r.length, 3);
    assert.match(r[0], /^n1 is down/);
    assert.match(r[1], /^n2 is not ready/);
    assert.match(r[2], /^n3 is draining/);
  });

  it("names a peer that went down during the run and came back, not the node the run had in hand", () => {
    const rep = new EndReporter();
    const at = { node: "n2", index: 2, total: 3 };
    rep.observe({ type: "phase-start", phase: "stop", at });
    rep.observe({ type: "gate-sample", phase: "await-cluster", at, sample: sample("live 2/3; not live: n2") });
    rep.observe({ type: "gate-sample", phase: "await-cluster", at, sample: sample("live 1/3; not live: n2, n3") });
    rep.observe({ type: "node-done", at, outcome: "upgraded", durationMs: 1 });
    const r = rep.report([well("n1"), well("n2"), well("n3")]);
    assert.strictEqual(r.length, 1);
    assert.match(r[0], /^n3 went down during the run .*it is back now/);
  });

  it("reports a node down now once, as down", () => {
    const rep = new EndReporter();
    rep.observe({ type: "gate-sample", phase: "bake", sample: sample("live 2/3; not live: n1; no range metrics from: n1") });
    const r = rep.report([{ ...well("n1"), process: "stopped", live: false, ready: false }, well("n2")]);
    assert.deepStrictEqual(
      r.map((w) => w.split(" ")[0]),
      ["n1"],
    );
  });

  it("reads the not-live list of a gate sample", () => {
    assert.deepStrictEqual(notLiveIn("live 3/5, under-replicated 2; not live: n1, n4; no range metrics from: n1"), ["n1", "n4"]);
    assert.deepStrictEqual(notLiveIn("live 5/5"), []);
  });
});

describe("provider/cluster-memory (pure parts)", () => {
  it("maps a row with a block, and one whose block was lifted", () => {
    const row = { setting: "cluster.auto_upgrade.enabled", previous: "true", value: "false", target: "v24.1.5", phase: "bake n2" };
    assert.deepStrictEqual(memoryFromRow(row), {
      block: { setting: "cluster.auto_upgrade.enabled", previous: "true", value: "false" },
      target: "v24.1.5",
      phase: "bake n2",
    });
    assert.deepStrictEqual(memoryFromRow({ setting: null, previous: null, value: null, target: "v24.1.5" }), { target: "v24.1.5" });
    assert.strictEqual(memoryFromRow(undefined), undefined);
  });

  it("keeps an empty previous (the setting was at its default)", () => {
    const m = memoryFromRow({ setting: "cluster.preserve_downgrade_option", previous: "", value: "23.1" });
    assert.deepStrictEqual(m?.block, { setting: "cluster.preserve_downgrade_option", previous: "", value: "23.1" });
  });

  it("starts from the cluster's block, even none, and from the state's only without a memory", () => {
    const state = { setting: "cluster.auto_upgrade.enabled", previous: "false", value: "false" };
    const cluster = { setting: "cluster.auto_upgrade.enabled", previous: "true", value: "false" };
    assert.deepStrictEqual(startingBlock({ block: cluster }, state), cluster);
    assert.strictEqual(startingBlock({}, state), undefined);
    assert.deepStrictEqual(startingBlock(undefined, state), state);
  });
});
