/**
 * The guard (guard.ts) wired to the cluster: each look is a fresh read of
 * every node (cluster-now.ts), the critical check asks CockroachDB
 * (critical-nodes.ts). Upgrade, rollback and resume call `clearToDisrupt`
 * right before each drain, stop or restart, and do nothing disruptive
 * without it.
 */
import type { ClusterReader } from "../cluster/reader";
import { conditionOf, describeCluster, readClusterNow, type ClusterNow } from "../cluster/now";
import { criticalVerdict } from "../cluster/critical-nodes";
import { isSingleNode } from "../spec/single-node";
import type { Emit } from "../core/events";
import { awaitClearance, realClock, type Clock, type OtherDown } from "./guard";
import type { NodeHandle } from "../node/handle";
import type { Phase, Spec } from "../core/types";

export interface GuardedContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  readonly handles: readonly NodeHandle[];
  readonly emit: Emit;
  readonly signal?: AbortSignal;
  /** Nodes this run has down on purpose right now (for the message: who took them down). */
  readonly heldByRun?: (name: string) => boolean;
  /**
   * The nodes to touch were up when the run chose them (the forward roll's
   * next node): one found down now was taken down by someone else (a crash,
   * an operator), so it counts as another node down, and the run waits or
   * stops (the watch names it) rather than "upgrading" a node it did not stop.
   */
  readonly targetsWereUp?: boolean;
  readonly clock?: Clock;
}

/**
 * Resolves when the nodes may be touched; throws GateFailed(phase) naming
 * the first node, the action and the cluster's condition when the cluster
 * did not recover within the cluster gate's deadline.
 */
export async function clearToDisrupt(ctx: GuardedContext, nodes: readonly string[], phase: Phase, action: string): Promise<void> {
  const { spec, reader, handles, signal } = ctx;
  let now: ClusterNow | undefined;
  const first = handles.find((h) => h.spec.name === nodes[0]);
  await awaitClearance(
    {
      look: async () => {
        now = await readClusterNow(reader, handles, signal, { light: true });
        const seen = now;
        const downNow = nodes.filter((n) => {
          const x = seen.nodes.find((y) => y.name === n);
          return x !== undefined && conditionOf(x) === "down";
        });
        const alreadyDown = ctx.targetsWereUp ? [] : downNow;
        const othersDown: OtherDown[] = seen.nodes
          .filter((n) => !nodes.includes(n.name) || (ctx.targetsWereUp === true && downNow.includes(n.name)))
          .flatMap((n) => {
            const c = conditionOf(n);
            return c === "up" ? [] : [{ name: n.name, condition: c, byRun: ctx.heldByRun?.(n.name) ?? false }];
          });
        return { alreadyDown, othersDown, condition: describeCluster(seen) };
      },
      // A single-node cluster's only node is critical by definition; strategy.allowDowntime is the operator's yes to that.
      critical: (up) =>
        isSingleNode(spec) && spec.strategy.allowDowntime
          ? Promise.resolve({ verdict: "safe" as const, reason: "single-node cluster, downtime accepted (strategy.allowDowntime)" })
          : criticalVerdict({ reader, nodes: spec.nodes, sql: spec.sql }, up, now as ClusterNow),
      clock: ctx.clock ?? realClock,
      budget: spec.strategy.maxUnavailable,
      maxWaitMs: spec.strategy.deadlines.clusterMs,
      intervalMs: spec.strategy.gateIntervalMs,
      signal,
      onWait: (reason) => ctx.emit({ type: "note", node: nodes[0], message: `guard: not yet safe to ${action}: ${reason}; waiting` }),
    },
    { nodes, phase, action, subject: { name: nodes[0], host: first?.spec.sqlAddr.host ?? nodes[0] } },
  );
}
