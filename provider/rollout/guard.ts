/**
 * The one guarded path for every disruptive action. Upgrade (rollout.ts),
 * rollback (rollback.ts) and resume (resume.ts) drain, stop and restart a
 * node only after `clearToDisrupt` said go. The invariant it keeps:
 *
 *   the provider never drains, stops or restarts a node while that would
 *   take more nodes down than allowed, counting nodes it did not take down
 *   itself.
 *
 * Before touching, it reads the cluster now (cluster-now.ts: every node's
 * process, liveness, readiness): every other node that is down, draining or
 * unready counts against `strategy.maxUnavailable`, whoever took it down.
 * Then the nodes must not be critical (critical-nodes.ts: CockroachDB's
 * `/_status/critical_nodes`, or the replica-placement proof). If either check
 * fails it waits, bounded, for the cluster to recover, then refuses with the
 * node, the phase and the cluster's condition. It never disrupts on doubt.
 *
 * A node that is already down (process gone or not live: its replicas do not
 * vote) costs nothing more to restart: that is always allowed. A draining or
 * unready node still votes, so stopping it does count.
 *
 * `decide` is pure (unit-tested exhaustively); `awaitClearance` is the
 * waiting loop on an injected clock (unit-tested on a fake one).
 */
import { GateFailed } from "../core/errors";
import type { NodeCondition } from "../cluster/now";
import type { CriticalVerdict } from "../cluster/critical-nodes";
import type { Phase } from "../core/types";
import { sleep } from "../core/timing";

/** Another node that is not up, and whether this run took it down (for the message). */
export interface OtherDown {
  readonly name: string;
  readonly condition: Exclude<NodeCondition, "up">;
  readonly byRun: boolean;
}

export type { CriticalVerdict } from "../cluster/critical-nodes";

export interface GuardInput {
  readonly budget: number;
  /** The nodes to touch together (one, or a proven locality batch). */
  readonly nodes: readonly string[];
  /** Of `nodes`, those already down: touching them takes nothing more down. */
  readonly alreadyDown: readonly string[];
  /** Every node outside `nodes` that is down, draining or unready. */
  readonly othersDown: readonly OtherDown[];
  /** Whether the nodes still up may go down (undefined: not asked, e.g. none is up). */
  readonly critical?: CriticalVerdict;
  readonly waitedMs: number;
  readonly maxWaitMs: number;
}

export type Decision =
  | { readonly kind: "go"; readonly reason: string }
  | { readonly kind: "wait"; readonly reason: string }
  | { readonly kind: "refuse"; readonly reason: string };

/** Pure: may the nodes be touched now, should we wait, or is it over. */
export function decide(i: GuardInput): Decision {
  const up = i.nodes.filter((n) => !i.alreadyDown.includes(n));
  if (up.length === 0) return { kind: "go", reason: `${i.nodes.join(", ")} already down: restarting costs no availability` };
  const problem = budgetProblem(i, up) ?? criticalProblem(i.critical, up);
  if (problem === undefined) {
    const others = i.othersDown.length === 0 ? "no other node down" : `${i.othersDown.length} other node(s) down`;
    return {
      kind: "go",
      reason: `${others}, ${up.length + i.othersDown.length} of ${i.budget} allowed; ${i.critical?.reason ?? ""}`.trim(),
    };
  }
  if (i.waitedMs >= i.maxWaitMs) {
    return { kind: "refuse", reason: `${problem} (waited ${Math.round(i.waitedMs / 1000)}s for the cluster to recover)` };
  }
  return { kind: "wait", reason: problem };
}

function budgetProblem(i: GuardInput, up: readonly string[]): string | undefined {
  const count = i.othersDown.length + up.length;
  if (count <= i.budget) return undefined;
  const list = i.othersDown.map((o) => `${o.name} ${o.condition}${o.byRun ? "" : " (not taken down by this run)"}`).join(", ");
  return `${list} already; taking ${up.join(", ")} down too would make ${count} nodes down, more than strategy.maxUnavailable ${i.budget}`;
}

function criticalProblem(c: CriticalVerdict | undefined, up: readonly string[]): string | undefined {
  if (c === undefined) return `whether ${up.join(", ")} may go down was not checked`;
  if (c.verdict === "safe") return undefined;
  return c.verdict === "critical" ? c.reason : `cannot tell whether ${up.join(", ")} may go down: ${c.reason}`;
}

// ---------------------------------------------------------------------------
// The waiting loop, on an injected clock.
// ---------------------------------------------------------------------------

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep };

/** What the loop needs to know about the cluster each time it looks. */
export interface Look {
  readonly alreadyDown: readonly string[];
  readonly othersDown: readonly OtherDown[];
  /** The cluster's condition in words, for the refusal. */
  readonly condition: string;
}

export interface ClearanceDeps {
  readonly look: () => Promise<Look>;
  /** Asked only when the budget allows: whether the up nodes may go down. */
  readonly critical: (up: readonly string[]) => Promise<CriticalVerdict>;
  readonly clock: Clock;
  readonly budget: number;
  readonly maxWaitMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
  /** Called on every wait (first and then each time the reason changes), for the progress log. */
  readonly onWait?: (reason: string) => void;
}

export interface GuardTarget {
  readonly nodes: readonly string[];
  readonly phase: Phase;
  /** The node named in a refusal. */
  readonly subject: { readonly name: string; readonly host: string };
  /** "drain", "stop", "restart". */
  readonly action: string;
}

/** Resolves with the go reason; throws GateFailed(phase) naming node, action and cluster condition on refusal. */
export async function awaitClearance(deps: ClearanceDeps, t: GuardTarget): Promise<string> {
  const started = deps.clock.now();
  let lastReason: string | undefined;
  for (;;) {
    const look = await deps.look();
    const up = t.nodes.filter((n) => !look.alreadyDown.includes(n));
    const withinBudget = look.othersDown.length + up.length <= deps.budget;
    const critical = up.length > 0 && withinBudget ? await deps.critical(up) : undefined;
    const d = decide({
      budget: deps.budget,
      nodes: t.nodes,
      alreadyDown: look.alreadyDown,
      othersDown: look.othersDown,
      critical: up.length === 0 ? undefined : (critical ?? { verdict: "unknown", reason: "over budget: not asked" }),
      waitedMs: deps.clock.now() - started,
      maxWaitMs: deps.maxWaitMs,
    });
    if (d.kind === "go") return d.reason;
    if (d.kind === "refuse") {
      throw new GateFailed(t.phase, `refused to ${t.action} ${t.nodes.join(", ")}: ${d.reason}; cluster now: ${look.condition}`, t.subject);
    }
    if (d.reason !== lastReason) deps.onWait?.(d.reason);
    lastReason = d.reason;
    await deps.clock.sleep(deps.intervalMs, deps.signal);
  }
}
