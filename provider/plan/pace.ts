/**
 * Pure: the cluster's measured pace, from the last rollout's record (the
 * stack's `lastRollout`), for the plan's estimate. How long a drain, a
 * restart and raft catch-up take depends on the cluster (data size, load,
 * server.shutdown.* settings, disks); the last roll of the same cluster is
 * the best witness there is. Without one (the first roll, or one that
 * touched no node) the estimate falls back to fixed figures (plan.ts
 * ESTIMATE).
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
}

const begin = (p: PhaseRecord): number => Date.parse(p.startedAt);
const end = (p: PhaseRecord): number => Date.parse(p.startedAt) + p.durationMs;

interface NodeTimes {
  readonly first: number;
  readonly restartMs: number;
  readonly gateMs: number;
}

function timesOf(n: NodeRolloutRecord): NodeTimes | undefined {
  const of = (phase: string): PhaseRecord[] => n.phases.filter((p) => p.phase === phase && p.ok);
  const touches = [...of("drain"), ...of("stop")];
  const ready = of("await-node");
  const gate = of("await-cluster");
  if (touches.length === 0 || ready.length === 0 || gate.length === 0) return undefined;
  const first = Math.min(...touches.map(begin));
  const rejoin = Math.max(...ready.map(end));
  return { first, restartMs: rejoin - first, gateMs: Math.max(0, Math.max(...gate.map(end)) - rejoin) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The pace of a succeeded roll that upgraded at least one node; undefined otherwise. */
export function paceFrom(record: RolloutRecord | undefined): Pace | undefined {
  if (record?.outcome !== "succeeded") return undefined;
  const times = record.nodes
    .filter((n) => n.outcome === "upgraded")
    .map(timesOf)
    .filter((t): t is NodeTimes => t !== undefined);
  if (times.length === 0) return undefined;
  const started = Date.parse(record.startedAt);
  const firstTouch = Math.min(...times.map((t) => t.first));
  if (!Number.isFinite(started) || !Number.isFinite(firstTouch)) return undefined;
  const restarts = times.map((t) => t.restartMs);
  return {
    restartMs: median(restarts),
    slowestRestartMs: Math.max(...restarts),
    gateMs: median(times.map((t) => t.gateMs)),
    setupMs: Math.max(0, firstTouch - started),
  };
}
