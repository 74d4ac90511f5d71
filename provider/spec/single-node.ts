/**
 * Single-node clusters (dev and staging clusters often have one node).
 *
 * Upgrading the only node means downtime: while it drains, stops, swaps and
 * starts, nothing serves SQL. That is refused unless the user says
 * `strategy.allowDowntime: true` (in check when the version changes, in
 * diff's preview, and in pre-flight), and then it is measured and reported.
 *
 * Replication cannot be judged on one node. CockroachDB counts a range
 * under-replicated when it has fewer live voters than GetNeededVoters
 * (pkg/kv/kvserver/allocator/allocatorimpl, allocator.go) asks for, and that
 * function never asks for fewer than 3 when the zone says 3 (an even or
 * smaller count is raised back to 3): so a one-node cluster whose zone keeps
 * the default num_replicas = 3 (started with `cockroach start` + `init`)
 * reports every range under-replicated for as long as it has one node
 * (ranges_underreplicated, pkg/kv/kvserver/replica_metrics.go
 * calcRangeCounter). `cockroach start-single-node` sets num_replicas = 1
 * instead (pkg/cli/interactive_tests/test_disable_replication.tcl), and then
 * reports 0. Either way it is not something a restart makes worse or waiting
 * repairs, so with one node the gates judge liveness, readiness and
 * unavailable ranges, not under-replication.
 */
import type { PhaseRecord, Spec } from "../core/types";

/** False for a one-node cluster, where under-replication is structural (see above). */
export function replicationJudged(nodeCount: number): boolean {
  return nodeCount > 1;
}

export function isSingleNode(spec: Pick<Spec, "nodes">): boolean {
  return spec.nodes.length === 1;
}

/** Why a single-node upgrade is refused without the option (check, diff, pre-flight say the same). */
export function singleNodeRefusal(node: string): string {
  return `single-node cluster: upgrading ${node}, its only node, takes the cluster down while ${node} drains, stops, swaps its binary and starts (no other node serves SQL meanwhile); set strategy.allowDowntime: true to accept that downtime`;
}

/** The plan line for a single-node roll that is allowed. */
export function singleNodePlanNote(node: string): string {
  return `single-node cluster: the upgrade means downtime while ${node} restarts (strategy.allowDowntime is true); it is measured and reported`;
}

/**
 * For check: a version change on a one-node cluster without allowDowntime.
 * `olds` are the old inputs; with none (create), pre-flight decides.
 */
export function refuseSingleNodeDowntime(olds: unknown, news: unknown): { property: string; reason: string } | undefined {
  const o = olds as { version?: unknown } | undefined;
  const n = news as { version?: unknown; nodes?: unknown; strategy?: { allowDowntime?: unknown } } | undefined;
  if (!Array.isArray(n?.nodes) || n.nodes.length !== 1) return undefined;
  if (typeof o?.version !== "string" || typeof n?.version !== "string" || o.version === n.version) return undefined;
  if (n.strategy?.allowDowntime === true) return undefined;
  const name = (n.nodes[0] as { name?: unknown } | undefined)?.name;
  return { property: "strategy.allowDowntime", reason: singleNodeRefusal(typeof name === "string" ? name : "the node") };
}

/** From the last drain's start to the end of the await-node that followed it. */
export function downtimeOf(phases: readonly PhaseRecord[]): number {
  const drainAt = phases.map((p) => p.phase).lastIndexOf("drain");
  if (drainAt < 0) return 0;
  const start = Date.parse(phases[drainAt].startedAt);
  const ready = phases.slice(drainAt).find((p) => p.phase === "await-node" && p.ok);
  if (ready === undefined) return 0;
  return Date.parse(ready.startedAt) + ready.durationMs - start;
}

/** For diff's preview: a roll of a one-node cluster without allowDowntime. */
export function refuseSingleNodeRoll(
  spec: Spec,
  plan: { readonly batches: readonly unknown[] },
): { property: string; reason: string } | undefined {
  if (!isSingleNode(spec) || plan.batches.length === 0 || spec.strategy.allowDowntime) return undefined;
  return { property: "strategy.allowDowntime", reason: singleNodeRefusal(spec.nodes[0].name) };
}
