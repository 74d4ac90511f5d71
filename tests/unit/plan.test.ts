/**
 * The rollout plan: which nodes roll, in which batches and order, with which
 * bakes, what blocks finalization, how long it should take, and the lines
 * shown in preview.
 */
import * as assert from "assert";
import { isUpgradeNotAllowed } from "../../provider/core/errors";
import { drainEstimateMs } from "../../provider/plan/estimate";
import { FIRST_ROLL, estimateRolloutMs, planRollout, renderPlan } from "../../provider/plan/plan";
import { parseSpec } from "../../provider/spec/parse";
import type { ClusterVersionInputs, ObservedCluster, Spec, StrategyInput } from "../../provider/core/types";
import { inputs, nodeInput, observedAll, observedNode, seeded } from "./pure-fixtures";

function specOf(n: number, version: string, strategy: StrategyInput = {}, extra: Partial<ClusterVersionInputs> = {}): Spec {
  return parseSpec(inputs(n, version, { strategy, ...extra }));
}

/** Drain + restart per batch; the wait after the rejoin is max(bake, re-check, catch-up + streak), here the bake. */
const PER_BATCH_MS = drainEstimateMs(undefined) + FIRST_ROLL.restartMs;

describe("provider/plan", () => {
  describe("a patch upgrade", () => {
    const spec = specOf(3, "v23.1.12");
    const plan = planRollout(spec, observedAll(spec, "v23.1.11"));

    it("rolls every node one at a time in order, the first as a canary with the longer bake", () => {
      assert.strictEqual(plan.kind, "patch");
      assert.strictEqual(plan.from, "v23.1.11");
      assert.strictEqual(plan.to, "v23.1.12");
      assert.deepStrictEqual(plan.batches, [
        { nodes: ["n1"], bakeMs: 120_000, canary: true, locality: "region=r1,zone=a" },
        { nodes: ["n2"], bakeMs: 60_000, canary: false, locality: "region=r1,zone=b" },
        { nodes: ["n3"], bakeMs: 60_000, canary: false, locality: "region=r1,zone=c" },
      ]);
      assert.deepStrictEqual(plan.skip, []);
    });

    it("does not block or plan finalization", () => {
      assert.strictEqual(plan.blockFinalization, undefined);
      assert.deepStrictEqual(plan.finalize, { mode: "not-applicable" });
    });

    it("estimates setup, then drain, restart and max(bake, re-check, catch-up + gate) for each node, then the post-roll watch window", () => {
      // Default bakes (2m canary, 1m after) outlast the re-check (22s) and catch-up + 3 samples (30s + 10s).
      // Setup: staging, and the gate's streak before the first node (3 samples 5s apart); 1s between batches.
      const setup = FIRST_ROLL.stagingMs + 10_000;
      assert.strictEqual(plan.estimatedMs, setup + 3 * PER_BATCH_MS + 240_000 + 2 * FIRST_ROLL.betweenMs + 300_000);
      assert.strictEqual(estimateRolloutMs(spec, plan.batches), plan.estimatedMs);
    });

    it("renders the preview lines", () => {
      assert.deepStrictEqual(renderPlan(plan, spec), [
        "crdb-upgrade: v23.1.11 -> v23.1.12 (patch), 3 node(s), one at a time",
        "  1. n1 [region=r1,zone=a] (canary)  drain -> stop -> swap -> start -> ready -> bake 2m0s from rejoin, gate x3 inside",
        "  2. n2 [region=r1,zone=b]           drain -> stop -> swap -> start -> ready -> bake 1m0s from rejoin, gate x3 inside",
        "  3. n3 [region=r1,zone=c]           drain -> stop -> swap -> start -> ready -> bake 1m0s from rejoin, gate x3 inside",
        "  then: watch the whole cluster for 5m0s (strategy.watch); a crash or failed gate inside it rolls back",
        "  skip: (none)   rollback on failure: yes   finalize: n/a (patch)",
        "  estimated duration: ~9m40s (first roll, per node: drain 2s by default server.shutdown settings, restart 6s, catch-up 30s; refined after the canary)",
      ]);
    });
  });

  describe("ordering, canary and skips", () => {
    it("follows strategy.order", () => {
      const spec = specOf(3, "v23.1.12", { order: ["n3", "n1", "n2"] });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11"));
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes[0]),
        ["n3", "n1", "n2"],
      );
      assert.strictEqual(plan.batches[0].canary, true);
    });

    it("skips nodes whose running build and binary are both the target, so a re-run resumes", () => {
      const spec = specOf(3, "v23.1.12");
      const observed: ObservedCluster = {
        ...observedAll(spec, "v23.1.11"),
        nodes: [observedNode("n1", "v23.1.12"), observedNode("n2", "v23.1.11"), observedNode("n3", "v23.1.11")],
      };
      const plan = planRollout(spec, observed);
      assert.deepStrictEqual(plan.skip, ["n1"]);
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes[0]),
        ["n2", "n3"],
      );
      assert.ok(
        plan.batches.every((b) => !b.canary && b.bakeMs === 60_000),
        "no canary when some node already runs the target",
      );
      assert.match(plan.notes.join("\n"), /no canary: already on v23\.1\.12: n1/);
    });

    it("rolls a node that runs the target but whose binary on disk is not the target", () => {
      const spec = specOf(3, "v23.1.12");
      const observed: ObservedCluster = {
        ...observedAll(spec, "v23.1.12"),
        nodes: [
          observedNode("n1", "v23.1.12", { binaryBuild: "v23.1.11" }),
          observedNode("n2", "v23.1.12"),
          observedNode("n3", "v23.1.12"),
        ],
      };
      const plan = planRollout(spec, observed);
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes),
        [["n1"]],
      );
      assert.strictEqual(plan.kind, "patch");
    });

    it("uses waitAfterRejoin for every node when canary is off", () => {
      const spec = specOf(3, "v23.1.12", { canary: false, waitAfterRejoin: "30s" });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11"));
      assert.deepStrictEqual(
        plan.batches.map((b) => [b.canary, b.bakeMs]),
        [
          [false, 30_000],
          [false, 30_000],
          [false, 30_000],
        ],
      );
    });

    it("has nothing to roll when every node is on the target", () => {
      const spec = specOf(3, "v23.1.12");
      const plan = planRollout(spec, observedAll(spec, "v23.1.12"));
      assert.strictEqual(plan.kind, "none");
      assert.deepStrictEqual(plan.batches, []);
      assert.deepStrictEqual(plan.skip, ["n1", "n2", "n3"]);
      assert.strictEqual(plan.estimatedMs, 0);
      assert.deepStrictEqual(renderPlan(plan, spec), ["crdb-upgrade: all 3 node(s) already run v23.1.12; nothing to roll"]);
    });

    it("describes mixed builds and judges a stopped node by its binary", () => {
      const spec = specOf(3, "v23.1.12");
      const observed: ObservedCluster = {
        ...observedAll(spec, "v23.1.11"),
        nodes: [
          observedNode("n1", "v23.1.10"),
          observedNode("n2", "v23.1.11"),
          observedNode("n3", undefined, { binaryBuild: "v23.1.11", process: "stopped", live: false }),
        ],
      };
      assert.strictEqual(planRollout(spec, observed).from, "mixed: v23.1.10 (n1), v23.1.11 (n2, n3)");
    });

    it("refuses to plan when no node to roll reports a build", () => {
      const spec = specOf(2, "v23.1.12");
      const observed: ObservedCluster = { nodes: [observedNode("n1", undefined), observedNode("n2", undefined)], unlistedNodeIds: [] };
      assert.throws(
        () => planRollout(spec, observed),
        (e: unknown) => isUpgradeNotAllowed(e) && /reports its build/.test(e.message),
      );
    });

    it("notes nodes the cluster has that the spec does not list, and a paused strategy", () => {
      const spec = specOf(3, "v23.1.12", { paused: true });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11", { unlistedNodeIds: [7] }));
      assert.match(plan.notes.join("\n"), /node ids 7.*finalization waits for them/);
      assert.match(plan.notes.join("\n"), /paused/);
    });
  });

  describe("major upgrades and rollbacks", () => {
    it("holds finalization with preserve_downgrade_option before 23.2 and uses the finalize mode", () => {
      const spec = specOf(3, "v23.2.3", { finalize: "auto" });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11"));
      assert.strictEqual(plan.kind, "major");
      assert.deepStrictEqual(plan.blockFinalization, { setting: "cluster.preserve_downgrade_option", value: "23.1" });
      assert.deepStrictEqual(plan.finalize, { mode: "auto" });
      assert.match(renderPlan(plan, spec).join("\n"), /finalization held during the roll: cluster\.preserve_downgrade_option = 23\.1/);
    });

    it("holds finalization with auto_upgrade.enabled from 23.2 and finalizes manually by default", () => {
      const spec = specOf(3, "v24.1.3");
      const plan = planRollout(spec, observedAll(spec, "v23.2.5"));
      assert.deepStrictEqual(plan.blockFinalization, { setting: "cluster.auto_upgrade.enabled", value: "false" });
      assert.deepStrictEqual(plan.finalize, { mode: "manual" });
      assert.match(renderPlan(plan, spec).join("\n"), /finalize: manual \(when satisfied: SET CLUSTER SETTING version = '24\.1'/);
    });

    it("resumes a half-done major upgrade on the nodes still on the old series", () => {
      const spec = specOf(3, "v24.1.3");
      const observed: ObservedCluster = {
        ...observedAll(spec, "v23.2.5"),
        nodes: [observedNode("n1", "v24.1.3"), observedNode("n2", "v23.2.5"), observedNode("n3", "v23.2.5")],
      };
      const plan = planRollout(spec, observed);
      assert.strictEqual(plan.kind, "major");
      assert.deepStrictEqual(plan.skip, ["n1"]);
    });

    it("plans a rollback to the series the cluster came from, keeping finalization held and not finalizing", () => {
      const spec = specOf(3, "v23.2.5");
      const plan = planRollout(spec, { ...observedAll(spec, "v24.1.3"), clusterVersion: "23.2" });
      assert.strictEqual(plan.kind, "major-rollback");
      assert.deepStrictEqual(plan.blockFinalization, { setting: "cluster.auto_upgrade.enabled", value: "false" });
      assert.deepStrictEqual(plan.finalize, { mode: "not-applicable" });
    });

    it("refuses a rollback once the cluster version says finalized", () => {
      const spec = specOf(3, "v23.2.5");
      assert.throws(
        () => planRollout(spec, observedAll(spec, "v24.1.3")),
        (e: unknown) => isUpgradeNotAllowed(e) && /finalized/.test(e.message),
      );
    });

    it("refuses a major upgrade while the previous one is unfinalized", () => {
      const spec = specOf(3, "v24.1.3");
      assert.throws(
        () => planRollout(spec, { ...observedAll(spec, "v23.2.5"), clusterVersion: "23.1" }),
        /finalize the previous upgrade first/,
      );
    });
  });

  describe("locality batches", () => {
    const six = (strategy: StrategyInput): Spec => specOf(6, "v23.1.12", { batch: "locality", ...strategy });

    it("rolls one locality per batch when placement proves quorum is kept", () => {
      const spec = six({ maxUnavailable: 2 });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true }));
      assert.deepStrictEqual(
        plan.batches.map((b) => [b.nodes, b.locality]),
        [
          [["n1", "n4"], "region=r1,zone=a"],
          [["n2", "n5"], "region=r1,zone=b"],
          [["n3", "n6"], "region=r1,zone=c"],
        ],
      );
      assert.strictEqual(plan.batches[0].canary, true);
      assert.match(renderPlan(plan, spec)[0], /6 node\(s\), in 3 batches by locality/);
    });

    it("splits a locality larger than maxUnavailable", () => {
      const spec = six({ maxUnavailable: 1 });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true }));
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes),
        [["n1"], ["n4"], ["n2"], ["n5"], ["n3"], ["n6"]],
      );
      assert.match(plan.notes.join("\n"), /split: strategy.maxUnavailable is 1/);
    });

    it("falls back to one node at a time with the reason when placement is not proven", () => {
      const spec = six({ maxUnavailable: 2 });
      const plan = planRollout(
        spec,
        observedAll(spec, "v23.1.11", { localitySafe: false, localityReason: "range 42 has 2 replicas in zone=a" }),
      );
      assert.ok(plan.batches.every((b) => b.nodes.length === 1));
      assert.match(plan.notes.join("\n"), /fell back to one node at a time: range 42 has 2 replicas in zone=a/);
      const unproven = planRollout(spec, observedAll(spec, "v23.1.11"));
      assert.match(unproven.notes.join("\n"), /fell back.*not shown to keep a quorum/);
    });
  });

  describe("properties (seeded)", () => {
    it("rolls every node not on the target exactly once, in order, never more than maxUnavailable at a time", () => {
      const rand = seeded(2024);
      for (let iter = 0; iter < 300; iter++) {
        const n = 1 + rand(12);
        const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
        const order = [...names].sort(() => rand(3) - 1);
        const locality = rand(2) === 0;
        const maxUnavailable = locality && n > 2 ? 1 + rand(n - 1) : 1;
        const spec = parseSpec(
          inputs(n, "v23.1.12", {
            nodes: names.map((_, i) => nodeInput(i + 1, { locality: `zone=z${rand(3)}` })),
            strategy: { order, batch: locality ? "locality" : "node", maxUnavailable, canary: rand(2) === 0 },
          }),
        );
        const builds = names.map(() => ["v23.1.11", "v23.1.12", "v23.1.9"][rand(3)]);
        const observed: ObservedCluster = {
          nodes: names.map((name, i) => observedNode(name, builds[i])),
          clusterVersion: "23.1",
          unlistedNodeIds: [],
          localitySafe: rand(2) === 0,
        };
        const plan = planRollout(spec, observed);
        const rolled = plan.batches.flatMap((b) => b.nodes);
        assert.deepStrictEqual([...rolled, ...plan.skip].sort(), [...names].sort(), "each node once");
        assert.deepStrictEqual(
          plan.skip,
          order.filter((x) => builds[names.indexOf(x)] === "v23.1.12"),
        );
        for (const b of plan.batches)
          assert.ok(b.nodes.length <= spec.strategy.maxUnavailable, `batch ${b.nodes.join(",")} > ${maxUnavailable}`);
        if (!observed.localitySafe || !locality)
          assert.deepStrictEqual(
            rolled,
            order.filter((x) => !plan.skip.includes(x)),
          );
        assert.ok(plan.batches.filter((b) => b.canary).length <= 1);
        assert.strictEqual(plan.estimatedMs, estimateRolloutMs(spec, plan.batches));
        assert.ok(renderPlan(plan, spec).length >= 1);
      }
    });
  });
});
