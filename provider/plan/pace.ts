/**
 * Pure: the cluster's measured pace, from the last rollout's record (the
 * stack's `lastRollout`), for the plan's estimate. How long a drain, a
 * restart and raft catch-up take depends on the cluster (data size, load,
 * server.shutdown.* settings, disks); the last roll of the same cluster is
 * the best witness there is. Without one (the first roll, or one that
 * touched no node) the estimate falls back to the first-roll figures
 * (estimate-figures.ts).
 *
 * Besides each node's restart and gate, the pace keeps what lies between
 * them: the time from one batch's release (the end of its bake) to the next
 * one's first drain, and the tail after the last batch (end-of-run reads,
 * finalization, less the watch window, which the Spec gives). Without these
 * the estimate of a 3-node roll came out at 0.7 of its wall.
 */
import type { NodeRolloutRecord, PhaseRecord, RolloutRecord } from "../core/types";

export interface Pace {
  /** Per node, first drain (or stop) to the rejoin (end of await-node): the median over the nodes. */
  readonly restartMs: number;
  /** The slowest node's restart: a batch of several nodes waits for its slowest. */
  readonly slowestRestartMs: number;
  /** Per node, the rejoin to the gate's first confirmed streak (catch-up + confirmation): the median. */
  readonly gateMs: number;
  /** The run's start to its first drain: pre-flight, staging, hooks, the gate before the first node. */
  readonly setupMs: number;
  /** One batch's release (end of its bake) to the next batch's first drain: the median; 0 with one batch. */
  readonly betweenMs: number;
  /** The last release to the run's end, less the watch window the run held. */
  readonly tailMs: number;
}

const begin = (p: PhaseRecord): number => Date.parse(p.startedAt);
const end = (p: PhaseRecord): number => Date.parse(p.startedAt) + p.durationMs;

export interface NodeTimes {
  readonly first: number;
  readonly restartMs: number;
  /** Only the batch's first node records the gate's phases (the gate is the whole cluster's). */
  readonly gateMs?: number;
  /** The end of its bake: the moment the next batch may be touched. */
  readonly releasedAt?: number;
}

/** One node's times from its phases; undefined when it was not drained (or stopped) and rejoined. */
export function timesOf(n: Pick<NodeRolloutRecord, "phases">): NodeTimes | undefined {
  const of = (phase: string): PhaseRecord[] => n.phases.filter((p) => p.phase === phase && p.ok);
  const touches = [...of("drain"), ...of("stop")];
  const ready = of("await-node");
  const gate = of("await-cluster");
  const bake = of("bake");
  if (touches.length === 0 || ready.length === 0) return undefined;
  const first = Math.min(...touches.map(begin));
  const rejoin = Math.max(...ready.map(end));
  return {
    first,
    restartMs: rejoin - first,
    ...(gate.length > 0 && { gateMs: Math.max(0, Math.max(...gate.map(end)) - rejoin) }),
    ...(bake.length > 0 && { releasedAt: Math.max(...bake.map(end)) }),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Gaps from each release to the next first drain after it (batches in the order they rolled). */
function gapsOf(times: readonly NodeTimes[]): number[] {
  const firsts = [...new Set(times.map((t) => t.first))].sort((a, b) => a - b);
  const releases = times.map((t) => t.releasedAt).filter((r): r is number => r !== undefined);
  return releases.flatMap((r) => {
    const next = firsts.find((f) => f >= r);
    return next === undefined ? [] : [next - r];
  });
}

/** The pace of a succeeded roll that upgraded at least one node; undefined otherwise. */
export function paceFrom(record: RolloutRecord | undefined): Pace | undefined {
  if (record?.outcome !== "succeeded") return undefined;
  const times = record.nodes
    .filter((n) => n.outcome === "upgraded")
    .map(timesOf)
    .filter((t): t is NodeTimes => t !== undefined);
  const gates = times.map((t) => t.gateMs).filter((g): g is number => g !== undefined);
  if (times.length === 0 || gates.length === 0) return undefined;
  const started = Date.parse(record.startedAt);
  const finished = Date.parse(record.finishedAt);
  const firstTouch = Math.min(...times.map((t) => t.first));
  if (!Number.isFinite(started) || !Number.isFinite(firstTouch)) return undefined;
  const restarts = times.map((t) => t.restartMs);
  const gaps = gapsOf(times);
  const releases = times.map((t) => t.releasedAt).filter((r): r is number => r !== undefined);
  const lastRelease = releases.length > 0 ? Math.max(...releases) : undefined;
  // A record from before `eta` does not say whether it held a watch window: its tail is unknown, not 5 minutes.
  const known = record.eta !== undefined && lastRelease !== undefined && Number.isFinite(finished);
  const tail = known ? finished - (lastRelease as number) - (record.eta?.watchMs ?? 0) : 0;
  return {
    restartMs: median(restarts),
    slowestRestartMs: Math.max(...restarts),
    gateMs: median(gates),
    setupMs: Math.max(0, firstTouch - started),
    betweenMs: gaps.length > 0 ? median(gaps) : 0,
    tailMs: Math.max(0, tail),
  };
}
