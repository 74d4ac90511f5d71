/**
 * The first roll's estimate (plan/estimate.ts, estimate-figures.ts): the
 * drain by the cluster's server.shutdown settings, the basis the plan line
 * states; and the re-estimate after the canary from what it measured, with
 * the progress line it prints and the ETA that follows it.
 */
import * as assert from "assert";
import type { RolloutEvent } from "../../provider/core/events";
import { ProgressPrinter } from "../../provider/engine/progress";
import {
  COCKROACH_DRAIN_DEFAULTS,
  drainEstimateMs,
  estimateBasis,
  estimateRolloutMs,
  FIRST_ROLL,
  remainingAfterCanaryMs,
} from "../../provider/plan/estimate";
import type { Pace } from "../../provider/plan/pace";
import { planRollout } from "../../provider/plan/plan";
import { parseSpec } from "../../provider/spec/parse";
import { inputs, observedAll } from "./pure-fixtures";

/** 3 nodes, 3 s bakes, a 2-sample streak 250 ms apart, re-check 1.2 s, no watch (the bench's strategy). */
const spec = parseSpec(
  inputs(3, "v23.1.12", {
    strategy: { waitAfterRejoin: "3s", canaryBake: "3s", gateSamples: 2, gateInterval: "250ms", gateRecheckAfter: "1.2s", watch: "0s" },
  }),
);
const plan = planRollout(spec, observedAll(spec, "v23.1.11"));

describe("plan: a first roll's estimate", () => {
  it("drains for initial_wait + connections.timeout + the drain's own work; CockroachDB's defaults when unread", () => {
    assert.strictEqual(COCKROACH_DRAIN_DEFAULTS.initialWaitMs + COCKROACH_DRAIN_DEFAULTS.connectionsTimeoutMs, 0);
    assert.strictEqual(drainEstimateMs(undefined), FIRST_ROLL.drainWorkMs);
    assert.strictEqual(drainEstimateMs({ initialWaitMs: 8_000, connectionsTimeoutMs: 30_000 }), 38_000 + FIRST_ROLL.drainWorkMs);
    // transactions.timeout and jobs.timeout end when nothing is in flight: they do not lengthen the estimate.
    assert.strictEqual(drainEstimateMs({ transactionsTimeoutMs: 600_000, jobsTimeoutMs: 600_000 }), FIRST_ROLL.drainWorkMs);
    assert.strictEqual(
      drainEstimateMs({ connectionsTimeoutMs: 5_000 }),
      5_000 + FIRST_ROLL.drainWorkMs,
      "an unread initial_wait is the default 0s",
    );
  });

  it("adds the settings' waits to every batch's drain, and says which figures it rests on", () => {
    const drain = { initialWaitMs: 8_000, connectionsTimeoutMs: 2_000 };
    assert.strictEqual(estimateRolloutMs(spec, plan.batches, undefined, drain) - estimateRolloutMs(spec, plan.batches), 3 * 10_000);
    assert.strictEqual(
      estimateBasis(undefined, drain),
      "first roll, per node: drain 12s by the cluster's server.shutdown settings, restart 6s, catch-up 30s; refined after the canary",
    );
    // Setup (staging + the streak before the first node), 3 × (drain + restart + catch-up + streak), 2 gaps.
    const perBatch = FIRST_ROLL.drainWorkMs + FIRST_ROLL.restartMs + FIRST_ROLL.catchUpMs + 250;
    assert.strictEqual(plan.estimatedMs, FIRST_ROLL.stagingMs + 250 + 3 * perBatch + 2 * FIRST_ROLL.betweenMs);
  });

  it("with a pace, says it follows the last roll", () => {
    const pace: Pace = { restartMs: 2_500, slowestRestartMs: 3_000, gateMs: 3_500, setupMs: 2_000, betweenMs: 800, tailMs: 300 };
    assert.strictEqual(estimateBasis(pace), "by this cluster's last roll: drain + restart 3s, catch-up + gate 4s per node");
    assert.strictEqual(estimateRolloutMs(spec, plan.batches, pace), 2_000 + 3 * (2_500 + 3_500) + 2 * 800 + 300);
  });
});

describe("plan: the re-estimate after the canary", () => {
  const canary = { restartMs: 3_000, gateMs: 4_000 };
  const rest = plan.batches.slice(1);

  it("rolls the remaining batches at the canary's restart and gate, with the gap still ahead of each", () => {
    // Each: 3s restart + max(3s bake, 1.2s re-check, (4s - 250 ms) + 250 ms streak) = 7s; 2 gaps of FIRST_ROLL.betweenMs.
    assert.strictEqual(remainingAfterCanaryMs(spec, rest, canary), 2 * FIRST_ROLL.betweenMs + 2 * 7_000);
    const longBake = { ...spec, strategy: { ...spec.strategy, waitAfterRejoinMs: 20_000 } };
    const bakes = rest.map((b) => ({ ...b, bakeMs: 20_000 }));
    assert.strictEqual(
      remainingAfterCanaryMs(longBake, bakes, canary),
      2 * FIRST_ROLL.betweenMs + 2 * (3_000 + 20_000),
      "a bake longer than the gate rules",
    );
  });

  it("takes the gaps and the tail from the last roll's pace when there is one, and adds the watch", () => {
    const pace: Pace = { restartMs: 1, slowestRestartMs: 1, gateMs: 1, setupMs: 1, betweenMs: 500, tailMs: 700 };
    const watched = { ...spec, strategy: { ...spec.strategy, watchMs: 60_000 } };
    assert.strictEqual(remainingAfterCanaryMs(watched, rest, canary, pace), 2 * 500 + 2 * 7_000 + 700 + 60_000);
    assert.strictEqual(remainingAfterCanaryMs(watched, [], canary, pace), 700 + 60_000, "a canary that was the only batch: the tail");
  });

  it("prints the re-estimate with the finish time, and the ETA counts down from it", () => {
    const lines: string[] = [];
    const p = new ProgressPrinter(
      "x",
      (l) => lines.push(l),
      () => new Date(2024, 0, 1, 12, 0, 1),
      "compact",
    );
    p.handle({ type: "start", from: "a", to: "b", kind: "patch", nodes: 3, estimatedMs: 176_000, lines: [] });
    const e: RolloutEvent = { type: "estimate", nodes: ["n1"], ...canary, nodesLeft: 2, remainingMs: 16_000, plannedMs: 176_000 };
    p.handle(e);
    assert.strictEqual(
      lines[1],
      "[crdb-upgrade x] 12:00:01 re-estimate after the canary (n1): drain + restart 3s, catch-up + gate 4s measured; 2 node(s) left: ~16s more, finish ~12:00:17 (plan said 2m56s in all)",
    );
    assert.ok(p.etaMs() <= 16_000, `ETA ${p.etaMs()} follows the re-estimate, not the plan's 176s`);
  });
});
