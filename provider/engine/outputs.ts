/**
 * The resource's outputs. create/update return them all (the engine
 * replaces stored outputs wholesale), read returns them as props.
 *
 * Inputs are echoed under their own keys, so the engine's by-key secret
 * annotation keeps secret inputs secret; every new key holds only derived,
 * non-secret data (names, builds, states, timings).
 *
 * Outputs must be plain JSON: the engine's Struct conversion refuses
 * `undefined`, so everything passes through `plainJson`.
 */
import type { Observation } from "../cluster/observe";
import type { FinalizationBlock } from "../cluster/finalization";
import { finalizeHint } from "../cluster/finalization";
import type { ClusterVersionInputs, ClusterVersionOutputs, HistoryEntry, NodeStatus, RolloutRecord } from "../core/types";
import { compareSeries, parseClusterVersion, seriesOf } from "../versions/versions";

const HISTORY_LIMIT = 10;

export interface OutputParts {
  readonly inputs: ClusterVersionInputs;
  readonly observation: Observation;
  readonly record?: RolloutRecord;
  readonly previous?: Partial<ClusterVersionOutputs>;
  readonly block?: FinalizationBlock;
}

export function buildOutputs(p: OutputParts): ClusterVersionOutputs {
  const history = appendHistory(p.previous?.history ?? [], p.record);
  const clusterVersion = p.observation.cluster.clusterVersion;
  const finalized = isFinalized(clusterVersion, p.inputs.version);
  const out: ClusterVersionOutputs = {
    ...withoutEngineKeys(p.inputs),
    nodeStatuses: nodeStatuses(p.observation),
    clusterVersion,
    finalized,
    finalizeHint: finalized ? undefined : finalizeHint(p.block, safeSeries(p.inputs.version)),
    finalizationBlock: p.block,
    lastRollout: p.record ?? p.previous?.lastRollout,
    history,
  };
  return plainJson(out);
}

/** What each listed node runs now: the process's build while it runs, else the binary on disk. */
export function nodeStatuses(obs: Observation): NodeStatus[] {
  return obs.nodes.map((n) => ({
    name: n.name,
    nodeId: n.nodeId,
    version: n.process === "running" || n.process === "draining" ? (n.build ?? n.binaryBuild) : n.binaryBuild,
    state: n.process,
  }));
}

/**
 * Finalized: the cluster version is final (no transition suffix) and is the
 * target's series or a later one. Later: the operator finalized an upgrade
 * by hand and then reverted `version`; the update is refused, and the
 * stored truth is that the cluster is finalized (there is nothing to
 * finalize towards the older target). Unknown cluster version (cluster
 * unreadable) counts as not finalized, which is the conservative answer for
 * rollback decisions.
 */
export function isFinalized(clusterVersion: string | undefined, target: string): boolean {
  if (clusterVersion === undefined) return false;
  try {
    const cv = parseClusterVersion(clusterVersion);
    return !cv.inTransition && compareSeries(cv.series, seriesOf(target)) >= 0;
  } catch {
    return false;
  }
}

function safeSeries(version: string): string {
  try {
    return seriesOf(version);
  } catch {
    return version;
  }
}

function appendHistory(history: readonly HistoryEntry[], record?: RolloutRecord): HistoryEntry[] {
  if (!record) return [...history];
  const entry: HistoryEntry = {
    id: record.id,
    from: record.from,
    to: record.to,
    outcome: record.outcome,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
  return [...history.filter((h) => h.id !== record.id), entry].slice(-HISTORY_LIMIT);
}

/** Inputs without the engine's own keys (`__provider` is added back by the host). */
export function withoutEngineKeys<T extends object>(inputs: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) if (!k.startsWith("__")) out[k] = v;
  return out as T;
}

export function plainJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
