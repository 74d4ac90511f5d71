/**
 * The nodes unhealthy on the target, judged by the evidence that an earlier
 * run touched them (earlier-run.ts): the I/O half. The cluster's memory is
 * read only when some node is unhealthy on the target.
 *
 * A node down on the target that no run touched (stopped, or not live: a
 * restart by hand, a crash, a slow start on a loaded machine) is a peer that
 * is down, and a restart takes time: it is waited for, bounded by
 * strategy.deadlines.cluster, before the plan is made. Back by then, the run
 * goes on as if nothing happened (an adoption of a healthy-but-slow cluster
 * is never refused); still down, pre-flight refuses naming it and its real
 * condition. A node merely unready is not waited for here: it counts as down
 * for the guard, which waits for it before any disruption (guarded.ts).
 */
import type { ClusterReader } from "../cluster/reader";
import { recallRollout } from "../cluster/memory";
import { conditionOf, readClusterNow } from "../cluster/now";
import type { NodeObservation, Observation } from "../cluster/observe";
import type { NodeHandle } from "../node/handle";
import { brokenOnTarget, conditionWord, unhealthyOnTarget, unprovenNote, type BrokenNode } from "./broken-nodes";
import { realClock, type Clock } from "./guard";
import type { RolloutRecord, Spec } from "../core/types";

export interface JudgeContext {
  readonly spec: Spec;
  readonly reader: ClusterReader;
  readonly handles: readonly NodeHandle[];
  readonly signal?: AbortSignal;
  readonly obs: Observation;
  /** The previous run's record (stored outputs). */
  readonly priorRollout?: RolloutRecord;
  /** Nodes whose journal of this move this run found (and settled). */
  readonly journaled: readonly string[];
  /** A finding for the record and the output. */
  readonly note: (message: string) => void;
  /** A fresh observation, taken the way the first one was. */
  readonly reobserve: () => Promise<Observation>;
  readonly clock?: Clock;
}

export interface Judged {
  readonly broken: readonly BrokenNode[];
  readonly unproven: readonly NodeObservation[];
  /** The observation the judgement is on (a fresh one after a wait). */
  readonly obs: Observation;
}

export async function judgeUnhealthy(ctx: JudgeContext): Promise<Judged> {
  let judged = await judgeOnce(ctx, ctx.obs);
  // Down: not running (stopped, unknown) or not live. A draining node stays unready until restarted: not waited for.
  const down = judged.unproven.filter((n) => (n.process !== "running" && n.process !== "draining") || !n.live).map((n) => n.name);
  if (down.length > 0 && (await awaitBack(ctx, down, judged.unproven))) judged = await judgeOnce(ctx, await ctx.reobserve());
  const note = unprovenNote(judged.unproven, ctx.spec.version);
  if (note) ctx.note(note);
  return judged;
}

async function judgeOnce(ctx: JudgeContext, obs: Observation): Promise<Judged> {
  const { spec, reader } = ctx;
  if (unhealthyOnTarget(obs, spec.version).length === 0) return { broken: [], unproven: [], obs };
  // Unreadable memory is no evidence: the node is then taken for a peer, never rolled back on a guess.
  const memory = await recallRollout(reader).catch(() => undefined);
  return { ...brokenOnTarget(obs, spec.version, { memory, record: ctx.priorRollout, journaled: ctx.journaled }), obs };
}

/** Polls every gate interval until none of `names` is down, or deadlines.cluster; true when anything came back. */
async function awaitBack(ctx: JudgeContext, names: readonly string[], seen: readonly NodeObservation[]): Promise<boolean> {
  const { spec, reader, handles, signal } = ctx;
  const clock = ctx.clock ?? realClock;
  const ms = spec.strategy.deadlines.clusterMs;
  const list = seen.filter((n) => names.includes(n.name)).map((n) => `${n.name} (${conditionWord(n)})`);
  ctx.note(
    `${list.join(", ")} on ${spec.version}, and no run touched ${names.length > 1 ? "them" : "it"}: waiting up to ${Math.round(ms / 1000)}s (strategy.deadlines.cluster) for ${names.length > 1 ? "them" : "it"} to come back before planning`,
  );
  const until = clock.now() + ms;
  for (;;) {
    const now = await readClusterNow(reader, handles, signal);
    const still = names.filter((name) => {
      const n = now.nodes.find((x) => x.name === name);
      return n === undefined || conditionOf(n) === "down";
    });
    if (still.length === 0) return true;
    if (clock.now() + spec.strategy.gateIntervalMs > until) return still.length < names.length;
    await clock.sleep(spec.strategy.gateIntervalMs, signal);
  }
}
