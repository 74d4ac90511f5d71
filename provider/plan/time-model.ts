/**
 * The time model of one node (or batch), pure (issue 14). The procedure's
 * rule is "wait at least one minute after a node rejoins": the bake clock
 * starts at the rejoin (ready, live, target build), so raft catch-up and the
 * gate's confirmation happen inside it instead of before it. The next node
 * may be touched once all of these hold:
 *
 *   - the bake (canaryBake for the canary, else waitAfterRejoin) has passed
 *     since the rejoin;
 *   - the re-check delay (gateRecheckAfter, 10s) has passed since the
 *     rejoin: the gate's range-health flags count a node as live until
 *     its liveness record expires (one range-lease duration, 6-9s by
 *     release: pkg/base/config.go NodeLivenessDurations), so a node that
 *     died around the rejoin shows in them only seconds later; raft
 *     catch-up needs no such wait (read live, catch-up.ts). It
 *     counts inside the same max, not after it;
 *   - raft catch-up is over and the cluster gate held on gateSamples
 *     consecutive samples (the gate reads catch-up itself, catch-up.ts);
 *   - the gate never failed since that streak began (a failed sample after
 *     it fails the node, as a failed bake sample always did).
 *
 * Per node: drain + restart + max(bake, re-check, catch-up + confirmation),
 * not their sum. Used by the gate loops (rollout/gate-loops.ts) and by the
 * plan's estimate, so that what the plan shows is what the run waits.
 */
import type { Strategy } from "../core/types";

export type TimeStrategy = Pick<Strategy, "gateSamples" | "gateIntervalMs" | "gateRecheckAfterMs">;

/** The least time after the rejoin before the next node may be touched, whatever the gate says. */
export function holdAfterRejoinMs(bakeMs: number, s: Pick<Strategy, "gateRecheckAfterMs">): number {
  return Math.max(bakeMs, s.gateRecheckAfterMs);
}

/** When the node (batch) rejoined at `rejoinedAt`, the earliest moment the next one may be touched. */
export function releaseAt(rejoinedAt: number, bakeMs: number, s: Pick<Strategy, "gateRecheckAfterMs">): number {
  return rejoinedAt + holdAfterRejoinMs(bakeMs, s);
}

/** A streak of gateSamples consecutive samples spans (gateSamples - 1) intervals after the first healthy one. */
export function confirmationMs(s: Pick<Strategy, "gateSamples" | "gateIntervalMs">): number {
  return Math.max(0, s.gateSamples - 1) * s.gateIntervalMs;
}

/** The wait after the rejoin: max(bake, re-check, catch-up + the gate's confirmation). */
export function waitAfterRejoinFloorMs(bakeMs: number, catchUpMs: number, s: TimeStrategy): number {
  return Math.max(holdAfterRejoinMs(bakeMs, s), catchUpMs + confirmationMs(s));
}

/**
 * What the plan line shows after "ready": the bake from the rejoin, the gate
 * streak inside it, and the re-check when it is the longer wait (a 3s bake
 * with the default gateRecheckAfter waits 10s, and the plan says so).
 */
export function describeHold(
  bakeMs: number,
  s: Pick<Strategy, "gateSamples" | "gateRecheckAfterMs">,
  format: (ms: number) => string,
): string {
  const bake = `bake ${format(bakeMs)} from rejoin, gate x${s.gateSamples} inside`;
  return s.gateRecheckAfterMs <= bakeMs ? bake : `${bake}, held ${format(s.gateRecheckAfterMs)} (gateRecheckAfter)`;
}
