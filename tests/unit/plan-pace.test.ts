/**
 * The plan's estimate from the cluster's measured pace (plan/pace.ts): the
 * last roll's record gives drain-to-rejoin, catch-up + streak and setup; the
 * estimate then follows the time model (setup + Σ restart + max(bake,
 * re-check, catch-up + streak) + watch). Without a usable record, the fixed
 * first-roll figures (FIRST_ROLL).
 */
import * as assert from "assert";
import type { NodeRolloutRecord, PhaseRecord, RolloutRecord } from "../../provider/core/types";
import { paceFrom } from "../../provider/plan/pace";
import { drainEstimateMs } from "../../provider/plan/estimate";
import { FIRST_ROLL, estimateRolloutMs, planRollout } from "../../provider/plan/plan";
import { parseSpec } from "../../provider/spec/parse";
import { inputs, observedAll } from "./pure-fixtures";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const phase = (name: PhaseRecord["phase"], fromMs: number, durationMs: number): PhaseRecord => ({
  phase: name,
  startedAt: new Date(T0 + fromMs).toISOString(),
  durationMs,
  ok: true,
});

/** A node drained at `at`, back (ready) `restart` later, its gate streak complete `gate` after that, then baked. */
function node(name: string, at: number, restart: number, gate: number, bake: number): NodeRolloutRecord {
  return {
    name,
    to: "v23.1.12",
    outcome: "upgraded",
    phases: [
      phase("drain", at, restart / 2),
      phase("stop", at + restart / 2, 100),
      phase("start", at + restart / 2 + 100, restart / 2 - 200),
      phase("await-node", at + restart - 100, 100),
      phase("await-cluster", at + restart, gate),
      phase("bake", at + restart + gate, bake),
    ],
  };
}

function record(nodes: NodeRolloutRecord[], outcome: RolloutRecord["outcome"] = "succeeded"): RolloutRecord {
  return {
    id: "r",
    from: "v23.1.11",
    to: "v23.1.12",
    kind: "patch",
    startedAt: new Date(T0).toISOString(),
    finishedAt: new Date(T0 + 60_000).toISOString(),
    outcome,
    nodes,
  };
}

describe("plan: the measured pace", () => {
  const rec = record([node("n1", 2_000, 2_000, 4_000, 0), node("n2", 9_000, 3_000, 3_000, 1_000), node("n3", 17_000, 2_500, 3_500, 0)]);

  // Releases (ends of bake) at 8s and 16s, next drains at 9s and 17s: 1s between batches.
  const between = { betweenMs: 1_000, tailMs: 0 };

  it("reads drain-to-rejoin and catch-up + streak (medians), the slowest restart, the setup, and the time between batches", () => {
    assert.deepStrictEqual(paceFrom(rec), { restartMs: 2_500, slowestRestartMs: 3_000, gateMs: 3_500, setupMs: 2_000, ...between });
  });

  it("in a batch, every node's restart counts (only the first node records the gate)", () => {
    const second = node("n4", 2_000, 6_000, 0, 0);
    const batch = record([
      ...rec.nodes,
      { ...second, phases: second.phases.filter((p) => p.phase !== "await-cluster" && p.phase !== "bake") },
    ]);
    assert.deepStrictEqual(paceFrom(batch), { restartMs: 2_750, slowestRestartMs: 6_000, gateMs: 3_500, setupMs: 2_000, ...between });
  });

  it("has none from a failed or rolled-back run, a no-op, or no record", () => {
    assert.strictEqual(paceFrom(record(rec.nodes.slice(), "rolled-back")), undefined);
    assert.strictEqual(paceFrom(record(rec.nodes.slice(), "failed")), undefined);
    assert.strictEqual(paceFrom(record([])), undefined);
    assert.strictEqual(paceFrom(undefined), undefined);
  });

  it("estimates setup + Σ restart + max(bake, re-check, catch-up + streak) + watch from it", () => {
    // Streak: 2 samples 250 ms apart; catch-up = 3500 - 250.
    const spec = parseSpec(
      inputs(3, "v23.1.12", {
        strategy: { waitAfterRejoin: "3s", canaryBake: "3s", gateSamples: 2, gateInterval: "250ms", gateRecheckAfter: "1.2s", watch: "0s" },
      }),
    );
    const plan = planRollout(spec, observedAll(spec, "v23.1.11"), paceFrom(rec));
    assert.strictEqual(plan.estimatedMs, 2_000 + 3 * (2_500 + Math.max(3_000, 1_200, 3_250 + 250)) + 2 * 1_000);
    const longBake = parseSpec(
      inputs(3, "v23.1.12", {
        strategy: { waitAfterRejoin: "10s", canaryBake: "20s", gateSamples: 2, gateInterval: "250ms", watch: "1m" },
      }),
    );
    const lp = planRollout(longBake, observedAll(longBake, "v23.1.11"), paceFrom(rec));
    assert.strictEqual(
      lp.estimatedMs,
      2_000 + 3 * 2_500 + Math.max(20_000, 10_000) + 2 * Math.max(10_000, 10_000) + 2 * 1_000 + 60_000,
      "the default re-check (10s) counts inside the max of a 10s and a 20s bake",
    );
  });

  it("a batch of several nodes costs its slowest restart", () => {
    const spec = parseSpec(
      inputs(6, "v23.1.12", {
        strategy: { batch: "locality", maxUnavailable: 2, waitAfterRejoin: "3s", gateRecheckAfter: "0s", watch: "0s" },
      }),
    );
    const plan = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true }), paceFrom(rec));
    assert.deepStrictEqual(
      plan.batches.map((b) => b.nodes.length),
      [2, 2, 2],
    );
    // The default streak (3 samples 5s apart) outlasts the recorded 3.5s and both bakes: 10s after each rejoin.
    assert.strictEqual(estimateRolloutMs(spec, plan.batches, paceFrom(rec)), 2_000 + 3 * (3_000 + 10_000) + 2 * 1_000);
  });

  it("without a pace, the first-roll figures: staging + the first streak, Σ drain + restart + max(bake, re-check, catch-up + streak), gaps", () => {
    const spec = parseSpec(inputs(2, "v23.1.12", { strategy: { waitAfterRejoin: "5s", canaryBake: "5s", watch: "0s" } }));
    const plan = planRollout(spec, observedAll(spec, "v23.1.11"));
    const wait = Math.max(5_000, 10_000, FIRST_ROLL.catchUpMs + 2 * 5_000);
    const setup = FIRST_ROLL.stagingMs + 2 * 5_000;
    assert.strictEqual(plan.estimatedMs, setup + 2 * (drainEstimateMs(undefined) + FIRST_ROLL.restartMs + wait) + FIRST_ROLL.betweenMs);
  });

  it("the tail after the last release counts, less the watch window the run recorded", () => {
    const withEta: RolloutRecord = {
      ...rec,
      finishedAt: new Date(T0 + 23_000 + 30_000 + 1_500).toISOString(),
      eta: { plannedMs: 1, watchMs: 30_000 },
    };
    assert.strictEqual(paceFrom(withEta)?.tailMs, 1_500);
    // A record from before the field says nothing about its watch: no tail rather than 30s too much.
    assert.strictEqual(paceFrom({ ...withEta, eta: undefined })?.tailMs, 0);
  });
});
