/**
 * A re-run never repeats a failure blindly. A node an earlier run left
 * unhealthy on the target (stopped, not live, draining or never ready, with
 * no in-flight journal: that run finished, badly) is rolled back to its
 * `_old` build before anything else, or the run refuses, naming the node
 * and the way forward. And since the release failed on a node, the next
 * node it goes to gets the canary gate again.
 *
 * "Left by an earlier run" needs evidence that a run touched it
 * (earlier-run.ts); a node merely unhealthy now is a peer that is down or
 * unready, for the guard to wait for, never rolled back.
 *
 * Pure: the I/O (the rollback itself) is rollout.ts's.
 */
import { GateFailed } from "../core/errors";
import type { NodeObservation, Observation } from "../cluster/observe";
import { touchedByEarlierRun, type EarlierRunEvidence } from "./earlier-run";
import type { Plan, Spec } from "../core/types";

/** Nodes on the target (binary or running build) that are not healthy, and carry no journal. */
export function unhealthyOnTarget(obs: Observation, target: string): NodeObservation[] {
  return obs.nodes.filter((n) => {
    if (n.journal !== undefined) return false;
    // Not a member the cluster knows (a wrong address, a host never joined): pre-flight's to refuse, not a failed release.
    if (n.nodeId === undefined) return false;
    const onTarget = n.binaryBuild === target || n.build === target;
    const healthy = n.process === "running" && n.live && n.ready && !n.draining;
    return onTarget && !healthy && !drainedOnly(n, target);
  });
}

/** A node an earlier run left unhealthy on the target, with the evidence that a run touched it. */
export interface BrokenNode {
  readonly name: string;
  readonly evidence: string;
}

/**
 * The nodes unhealthy on the target, split: `broken` ones an earlier run
 * touched (evidence), `unproven` ones nothing says a run touched (peers down
 * or unready: a slow start, a crash, an operator's restart).
 */
export function brokenOnTarget(
  obs: Observation,
  target: string,
  evidence: EarlierRunEvidence,
): { readonly broken: BrokenNode[]; readonly unproven: NodeObservation[] } {
  const broken: BrokenNode[] = [];
  const unproven: NodeObservation[] = [];
  for (const n of unhealthyOnTarget(obs, target)) {
    const why = touchedByEarlierRun(n.name, target, evidence);
    if (why === undefined) unproven.push(n);
    else broken.push({ name: n.name, evidence: why });
  }
  return { broken, unproven };
}

/** The condition an unhealthy node is in, as messages say it. */
export function conditionWord(n: NodeObservation): string {
  return n.process !== "running" ? n.process : !n.live ? "not live" : n.draining ? "draining" : "not ready";
}

/** Running and draining on the target, never moved to it (no other `_old`): a drain to finish by a restart, not a failed release. */
export function drainedOnly(n: NodeObservation, target: string): boolean {
  const moved = n.previousBuild !== undefined && n.previousBuild !== target;
  return n.journal === undefined && n.process !== "stopped" && n.draining && n.binaryBuild === target && !moved;
}

/** Why the broken nodes cannot be rolled back (no usable `_old`, or rollback turned off); undefined when they can. */
export function refuseBroken(obs: Observation, broken: readonly BrokenNode[], spec: Spec): GateFailed | undefined {
  const problems: string[] = [];
  for (const { name, evidence } of broken) {
    const n = obs.nodes.find((x) => x.name === name);
    const node = spec.nodes.find((x) => x.name === name);
    if (!n || !node) continue;
    const why = `${name} was left ${conditionWord(n)} on ${spec.version} by an earlier run (${evidence})`;
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

/** What the run says of nodes unhealthy on the target that no earlier run touched: left alone, counted as nodes down. */
export function unprovenNote(nodes: readonly NodeObservation[], target: string): string | undefined {
  if (nodes.length === 0) return undefined;
  const list = nodes.map((n) => `${n.name} (${conditionWord(n)})`).join(", ");
  const [it, is] = nodes.length > 1 ? ["them", "they are"] : ["it", "it is"];
  return `${list} on ${target}: no journal, rollout record or cluster memory (crdb_upgrade.rollout) shows an earlier run touched ${it}, so ${is} not rolled back; ${is} counted as down (pre-flight refuses a node not running or not live; the guard waits for an unready one, up to strategy.deadlines.cluster, before taking another node down)`;
}
