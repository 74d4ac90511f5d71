/**
 * Did an earlier run of this provider touch a node on its way to the target?
 * Only evidence says so, never the node's condition alone: a node of a
 * freshly started (or merely loaded) cluster can be briefly not ready, and
 * reading that as "left broken by an earlier run" rolled healthy nodes back
 * or refused to adopt a cluster nobody had ever rolled (issue 14, 50 nodes).
 *
 * The evidence, each source what it proves:
 * - the node's journal (node/journal.ts): an interrupted run of this move
 *   was in that node's phases (settled by resume.ts, which clears it, so
 *   the names it settled are carried here);
 * - the previous run's record (the stored outputs' lastRollout): a run to
 *   this target that failed or was rolled back, and touched this node;
 * - the cluster's memory (`crdb_upgrade.rollout`, cluster/memory.ts): a run
 *   to this target that was interrupted or did not end cleanly (its phase
 *   is not "done: succeeded|noop|paused"). Cluster-wide: it cannot say which
 *   node, so any node unhealthy on the target counts.
 *
 * A node without any of these that is unhealthy now is a peer that is down
 * or unready: the guard waits for it (deadlines.cluster) before touching
 * another node and then refuses naming it (guarded.ts); pre-flight refuses a
 * stopped one. Pure.
 */
import type { RolloutRecord } from "../core/types";

export interface EarlierRunEvidence {
  /** What the cluster remembers (crdb_upgrade.rollout); undefined when it has no memory or it could not be read. */
  readonly memory?: { readonly target?: string; readonly phase?: string };
  /** The previous run's record, from the stored outputs. */
  readonly record?: RolloutRecord;
  /** Nodes whose journal of this move was found (and settled) by this run. */
  readonly journaled?: readonly string[];
}

/** A run's memory phase once it ended without leaving anything behind (memory.ts writes `done: <outcome>`). */
const CLEAN_END = /^done: (succeeded|noop|paused)$/;

/** Why `node` counts as touched by an earlier run to `target` (the evidence, for messages); undefined without evidence. */
export function touchedByEarlierRun(node: string, target: string, ev: EarlierRunEvidence): string | undefined {
  if (ev.journaled?.includes(node)) return "its journal shows an interrupted run";
  const r = ev.record;
  if (r !== undefined && r.to === target && (r.outcome === "failed" || r.outcome === "rolled-back")) {
    const n = r.nodes.find((x) => x.name === node);
    if (n !== undefined && n.outcome !== "untouched" && n.outcome !== "skipped")
      return `the last run's record: ${r.outcome} to ${target}, ${node} ${n.outcome}`;
  }
  const m = ev.memory;
  if (m?.target === target && !CLEAN_END.test(m.phase ?? ""))
    return `the cluster's memory (crdb_upgrade.rollout): a run to ${target} ${m.phase?.startsWith("done: ") ? `ended ${m.phase.slice(6)}` : `stopped at "${m.phase ?? "?"}"`}`;
  return undefined;
}
