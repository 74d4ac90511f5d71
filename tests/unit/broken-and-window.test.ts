/**
 * A re-run never repeats a failure blindly (broken-nodes.ts, pure): which
 * nodes count as left unhealthy on the target, when the run refuses (no
 * usable `_old`, rollback off) naming the node and the way forward, and the
 * canary forced back onto the next node. And `strategy.watch` (the post-roll
 * window): its default, "0s" turning it off, its validation, and its place
 * in the plan and the estimate.
 */
import * as assert from "assert";
import { forceCanary, refuseBroken, unhealthyFirst, unhealthyOnTarget } from "../../provider/rollout/broken-nodes";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import { estimateRolloutMs, planRollout, renderPlan } from "../../provider/plan/plan";
import { parseSpec } from "../../provider/spec/parse";
import { failsAt } from "./spec-fixtures";
import { inputs, observedAll } from "./pure-fixtures";

const TO = "v23.1.12";
const FROM = "v23.1.11";
const EVIDENCE = "its journal shows an interrupted run";

function obsNode(name: string, extra: Partial<NodeObservation>): NodeObservation {
  return {
    name,
    nodeId: Number(name.slice(1)),
    process: "running",
    live: true,
    draining: false,
    ready: true,
    build: FROM,
    binaryBuild: FROM,
    errors: [],
    ...extra,
  };
}
function observation(nodes: NodeObservation[]): Observation {
  return { cluster: { nodes, unlistedNodeIds: [] }, nodes, rows: [], unlisted: [] };
}

describe("broken nodes: left unhealthy on the target by an earlier run", () => {
  const spec = parseSpec(inputs(3, TO));

  it("a node on the target that is stopped, not live, draining or never ready is broken; healthy or journaled ones are not", () => {
    const obs = observation([
      obsNode("n1", { build: undefined, binaryBuild: TO, process: "stopped", live: false, ready: false, previousBuild: FROM }),
      obsNode("n2", { build: TO, binaryBuild: TO, ready: false }),
      obsNode("n3", { build: TO, binaryBuild: TO }),
      obsNode("n4", { build: TO, binaryBuild: TO, draining: true, previousBuild: FROM }),
      // Draining on the target it was never moved to: a drain to finish by a restart (drainedOnly), not a failed release.
      obsNode("n7", { build: TO, binaryBuild: TO, draining: true }),
      obsNode("n5", { binaryBuild: TO, process: "stopped", journal: { target: TO, phase: "start", at: "t", direction: "upgrade" } }),
      obsNode("n6", { process: "stopped", live: false }),
      // On the target and stopped, but no member the cluster knows (a wrong address): pre-flight's to refuse.
      obsNode("n8", { nodeId: undefined, build: undefined, binaryBuild: TO, process: "stopped", live: false, ready: false }),
    ]);
    assert.deepStrictEqual(
      unhealthyOnTarget(obs, TO).map((n) => n.name),
      ["n1", "n2", "n4"],
    );
  });

  it("is rolled back when its _old is the previous build (no refusal)", () => {
    const obs = observation([obsNode("n1", { binaryBuild: TO, process: "stopped", previousBuild: FROM })]);
    assert.strictEqual(refuseBroken(obs, [{ name: "n1", evidence: EVIDENCE }], spec), undefined);
  });

  it("refuses, naming the node and the way forward, when _old is missing or is the target", () => {
    for (const previousBuild of [undefined, TO]) {
      const obs = observation([obsNode("n1", { binaryBuild: TO, process: "stopped", previousBuild })]);
      const e = refuseBroken(obs, [{ name: "n1", evidence: EVIDENCE }], spec);
      assert.ok(e);
      assert.match(
        e.message,
        /^preflight: refused, no node was touched: n1 was left stopped on v23\.1\.12 by an earlier run \(its journal shows an interrupted run\)/,
      );
      assert.match(e.message, /put the previous release's binary at \/usr\/local\/bin\/cockroach_old .*then run the update again/);
    }
  });

  it("refuses when rollbackOnFailure is false, saying to roll it back by hand", () => {
    const off = parseSpec({ ...inputs(3, TO), strategy: { rollbackOnFailure: false } });
    const obs = observation([obsNode("n1", { binaryBuild: TO, build: TO, ready: false, previousBuild: FROM })]);
    assert.match(
      String(refuseBroken(obs, [{ name: "n1", evidence: EVIDENCE }], off)?.message),
      /n1 was left not ready .*rollbackOnFailure is false/,
    );
  });

  it("the next node bakes as a canary again, even with canary off or nodes already on the target", () => {
    const noCanary = parseSpec({ ...inputs(3, TO), strategy: { canary: false, waitAfterRejoin: "60s", canaryBake: "5m" } });
    const plan = planRollout(noCanary, observedAll(noCanary, FROM));
    assert.strictEqual(plan.batches[0].canary, false);
    const forced = forceCanary(plan, noCanary);
    assert.deepStrictEqual(forced.batches[0], { ...plan.batches[0], canary: true, bakeMs: 300_000 });
    assert.deepStrictEqual(forced.batches.slice(1), plan.batches.slice(1));
    assert.match(
      forced.notes[forced.notes.length - 1],
      /canary again: v23\.1\.12 failed on a node in an earlier run, so n1 bakes as a canary/,
    );
  });
});

describe("unhealthy nodes roll first", () => {
  it("a not-ready node's batch moves to the front; bakes and the canary stay by position", () => {
    const spec = parseSpec(inputs(3, FROM));
    const observed = observedAll(spec, TO);
    const plan = planRollout(spec, observed);
    const obs = observation([obsNode("n1", { build: TO }), obsNode("n2", { build: TO, ready: false }), obsNode("n3", { build: TO })]);
    const moved = unhealthyFirst(plan, obs);
    assert.deepStrictEqual(
      moved.batches.map((b) => [b.nodes[0], b.bakeMs, b.canary]),
      [
        ["n2", plan.batches[0].bakeMs, plan.batches[0].canary],
        ["n1", plan.batches[1].bakeMs, false],
        ["n3", plan.batches[2].bakeMs, false],
      ],
    );
    assert.match(moved.notes[moved.notes.length - 1], /n2 is not ready: rolled first/);
    const healthy = observation([obsNode("n1", {}), obsNode("n2", {}), obsNode("n3", {})]);
    assert.strictEqual(unhealthyFirst(plan, healthy), plan);
  });
});

describe("strategy.watch: the post-roll watch window", () => {
  it("defaults to 5 minutes; 0s turns it off; durations are read as everywhere", () => {
    assert.strictEqual(parseSpec(inputs()).strategy.watchMs, 300_000);
    assert.strictEqual(parseSpec({ ...inputs(), strategy: { watch: "0s" } }).strategy.watchMs, 0);
    assert.strictEqual(parseSpec({ ...inputs(), strategy: { watch: 0 } }).strategy.watchMs, 0);
    assert.strictEqual(parseSpec({ ...inputs(), strategy: { watch: "90s" } }).strategy.watchMs, 90_000);
  });

  it("refuses what is not a duration, a negative one, or one not shorter than the overall deadline, naming the field", () => {
    failsAt({ ...inputs(), strategy: { watch: "soon" } }, "strategy.watch", /must be a duration/);
    failsAt({ ...inputs(), strategy: { watch: "-5m" } }, "strategy.watch", /must not be negative/);
    failsAt(
      { ...inputs(), strategy: { watch: "2h", overallDeadline: "1h" } },
      "strategy.watch",
      /must be shorter than strategy\.overallDeadline \(1h0m0s; got "2h"\).*"0s" turns it off/,
    );
  });

  it("shows in the plan and adds to the estimate; off, it says so and adds nothing", () => {
    const on = parseSpec({ ...inputs(3, TO), strategy: { watch: "10m" } });
    const off = parseSpec({ ...inputs(3, TO), strategy: { watch: "0s" } });
    const planOn = planRollout(on, observedAll(on, FROM));
    const planOff = planRollout(off, observedAll(off, FROM));
    assert.strictEqual(estimateRolloutMs(on, planOn.batches) - estimateRolloutMs(off, planOff.batches), 600_000);
    assert.ok(renderPlan(planOn, on).some((l) => /then: watch the whole cluster for 10m0s \(strategy\.watch\)/.test(l)));
    assert.ok(renderPlan(planOff, off).some((l) => /no post-roll watch window \(strategy\.watch is 0\)/.test(l)));
  });
});
