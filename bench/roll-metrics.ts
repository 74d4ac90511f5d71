/**
 * Pure arithmetic over a rollout record (the provider's own timeline: the
 * phases that provider/timeline.ts draws): the wall time, the floor the
 * time model promises, and the plan's ETA read from its progress line.
 *
 * Floor of one batch (issue 14): drain + restart + max(bake, catch-up + gate),
 * where the restart ends at the rejoin (the end of await-node: ready, live,
 * target build), catch-up + gate is the time from the rejoin until the cluster
 * gate first held (the end of await-cluster), and bake is the configured bake
 * of that batch (canaryBake for the first, waitAfterRejoin after). Nodes of a
 * batch roll together, so a batch costs its slowest node. The floor is the
 * sum over batches; anything else (pre-flight, staging, a re-check outside
 * the max, idle time between nodes) is the provider's overhead.
 */
import { parseDuration } from "../provider/core/duration";
import type { NodeRolloutRecord, PhaseRecord, RolloutRecord } from "../provider/core/types";

export interface BatchFloor {
  readonly nodes: readonly string[];
  /** From the first drain to the rejoin (end of await-node), slowest node. */
  readonly restartMs: number;
  /** From the rejoin to the end of await-cluster (catch-up + gate confirmation), slowest node. */
  readonly gateMs: number;
  readonly bakeMs: number;
  readonly floorMs: number;
}

const start = (p: PhaseRecord): number => Date.parse(p.startedAt);
const end = (p: PhaseRecord): number => Date.parse(p.startedAt) + p.durationMs;

export function wallMs(record: RolloutRecord): number {
  return Date.parse(record.finishedAt) - Date.parse(record.startedAt);
}

/** The node's touched span: its first drain/stop to its last phase end (undefined when untouched). */
function span(n: NodeRolloutRecord): { from: number; to: number } | undefined {
  const touched = n.phases.filter((p) => !["preflight", "stage-release", "hooks", "block-finalization", "watch"].includes(p.phase));
  if (touched.length === 0) return undefined;
  return { from: Math.min(...touched.map(start)), to: Math.max(...touched.map(end)) };
}

/** Nodes grouped into the batches they rolled in: a batch starts when a node starts after the previous batch's nodes all rejoined. */
export function batchesOf(record: RolloutRecord): NodeRolloutRecord[][] {
  const rolled = record.nodes
    .filter((n) => span(n) !== undefined)
    .sort((a, b) => (span(a) as { from: number }).from - (span(b) as { from: number }).from);
  const batches: NodeRolloutRecord[][] = [];
  let rejoinedBy = -Infinity;
  for (const n of rolled) {
    const s = span(n) as { from: number };
    if (batches.length === 0 || s.from > rejoinedBy) batches.push([]);
    batches[batches.length - 1].push(n);
    rejoinedBy = Math.max(rejoinedBy, rejoinOf(n) ?? s.from);
  }
  return batches;
}

function rejoinOf(n: NodeRolloutRecord): number | undefined {
  const ready = n.phases.filter((p) => p.phase === "await-node");
  return ready.length ? Math.max(...ready.map(end)) : undefined;
}

/** The floor of every batch; `bakes[i]` is the configured bake of batch i. */
export function floorOf(record: RolloutRecord, bakeOf: (batchIndex: number) => number): BatchFloor[] {
  return batchesOf(record).map((batch, i) => {
    let restartMs = 0;
    let gateMs = 0;
    for (const n of batch) {
      const first = Math.min(...n.phases.filter((p) => p.phase === "drain" || p.phase === "stop").map(start));
      const rejoin = rejoinOf(n) ?? first;
      const gates = n.phases.filter((p) => p.phase === "await-cluster");
      restartMs = Math.max(restartMs, rejoin - first);
      gateMs = Math.max(gateMs, gates.length ? Math.max(...gates.map(end)) - rejoin : 0);
    }
    const bakeMs = bakeOf(i);
    return { nodes: batch.map((n) => n.name), restartMs, gateMs, bakeMs, floorMs: restartMs + Math.max(bakeMs, gateMs) };
  });
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0);
}

/**
 * The plan's ETA from the provider's own progress output: the run's start
 * line ("rolling 9 node(s), estimated 1m30s") or, failing that, the plan's
 * "estimated duration: ~1m30s". Undefined when neither is there.
 */
export function etaFromOutput(text: string): number | undefined {
  const m = /rolling \d+ node\(s\), estimated (\S+)/.exec(text) ?? /estimated duration: ~(\S+)/.exec(text);
  if (!m) return undefined;
  try {
    return parseDuration(m[1].replace(/[^0-9a-z.]+$/, ""), "eta");
  } catch {
    return undefined;
  }
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
