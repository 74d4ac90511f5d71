/**
 * A re-run never repeats a failure blindly. A node an earlier run left
 * unhealthy on the target (stopped, not live, draining or never ready, with
 * no in-flight journal: that run finished, badly) is rolled back to its
 * `_old` build before anything else, or the run refuses, naming the node
 * and the way forward. And since the release failed on a node, the next
 * node it goes to gets the canary gate again.
 *
 * Pure: the I/O (the rollback itself) is rollout.ts's.
 */
import { GateFailed } from "../core/errors";
import type { NodeObservation, Observation } from "../cluster/observe";
import type { Plan, Spec } from "../core/types";

/** Nodes on the target (binary or running build) that are not healthy, and carry no journal. */
export function brokenOnTarget(obs: Observation, target: string): NodeObservation[] {
  return obs.nodes.filter((n) => {
    if (n.journal !== undefined) return false;
    // Not a member the cluster knows (a wrong address, a host never joined): pre-flight's to refuse, not a failed release.
    if (n.nodeId === undefined) return false;
    const onTarget = n.binaryBuild === target || n.build === target;
    const healthy = n.process === "running" && n.live && n.ready && !n.draining;
    return onTarget && !healthy && !drainedOnly(n, target);
  });
}

/** Running and draining on the target, never moved to it (no other `_old`): a drain to finish by a restart, not a failed release. */
export function drainedOnly(n: NodeObservation, target: string): boolean {
  const moved = n.previousBuild !== undefined && n.previousBuild !== target;
  return n.journal === undefined && n.process !== "stopped" && n.draining && n.binaryBuild === target && !moved;
}

/** Why the broken nodes cannot be rolled back (no usable `_old`, or rollback turned off); undefined when they can. */
export function refuseBroken(obs: Observation, names: readonly string[], spec: Spec): GateFailed | undefined {
  const problems: string[] = [];
  for (const name of names) {
    const n = obs.nodes.find((x) => x.name === name);
    const node = spec.nodes.find((x) => x.name === name);
    if (!n || !node) continue;
    const state = n.process !== "running" ? n.process : !n.live ? "not live" : n.draining ? "draining" : "not ready";
    const why = `${name} was left ${state} on ${spec.version} by an earlier run`;
    if (!spec.strategy.rollbackOnFailure) {
      problems.push(
        `${why}; strategy.rollbackOnFailure is false, so it is not rolled back: fix or roll back ${name} by hand (its previous build is ${node.binaryPath}_old), then run the update again`,
      );
    } else if (n.previousBuild === undefined || n.previousBuild === spec.version) {
      const old = n.previousBuild === undefined ? "is missing" : `is ${spec.version} too`;
      problems.push(
        `${why}, and ${node.binaryPath}_old ${old}, so it cannot be rolled back: put the previous release's binary at ${node.binaryPath}_old (or restart ${name} on it by hand), then run the update again`,
      );
    }
  }
  if (problems.length === 0) return undefined;
  return new GateFailed("preflight", `refused, no node was touched: ${problems.join("; ")}`);
}

/** The first batch bakes as a canary, whatever the plan said: the release failed on a node before. */
export function forceCanary(plan: Plan, spec: Spec): Plan {
  const first = plan.batches[0];
  if (!first || first.canary) return plan;
  return {
    ...plan,
    batches: [{ ...first, canary: true, bakeMs: Math.max(first.bakeMs, spec.strategy.canaryBakeMs) }, ...plan.batches.slice(1)],
    notes: [
      ...plan.notes,
      `canary again: ${spec.version} failed on a node in an earlier run, so ${first.nodes.join(", ")} bakes as a canary`,
    ],
  };
}

/**
 * Batches holding a node that is already unready or draining go first: that
 * node serves no clients already, so rolling it costs no more availability,
 * and while it is unready the guard would let no other node go down anyway.
 */
export function unhealthyFirst(plan: Plan, obs: Observation): Plan {
  const unhealthy = (name: string) => {
    const n = obs.nodes.find((x) => x.name === name);
    return n !== undefined && (!n.ready || n.draining);
  };
  const first = plan.batches.filter((b) => b.nodes.some(unhealthy));
  if (first.length === 0 || plan.batches.indexOf(first[0]) === 0) return plan;
  const rest = plan.batches.filter((b) => !first.includes(b));
  const names = first.flatMap((b) => b.nodes);
  // Bakes and the canary are by position: the first batch keeps the canary's.
  const batches = [...first, ...rest].map((b, i) => ({ ...b, canary: plan.batches[i].canary, bakeMs: plan.batches[i].bakeMs }));
  return { ...plan, batches, notes: [...plan.notes, `${names.join(", ")} ${names.length > 1 ? "are" : "is"} not ready: rolled first`] };
}
