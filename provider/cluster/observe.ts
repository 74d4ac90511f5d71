/**
 * One full look at the cluster: what each listed node runs (process, build
 * reported by the process, binary on disk, kept `_old` binary, in-flight
 * journal) and what the cluster says (membership, liveness, settings, range
 * health summed over live nodes). Used by read, by update before planning,
 * and by the pre-flight gate.
 *
 * Tolerant by design: a node that cannot be asked is reported "unknown"
 * rather than failing the whole observation — `read` must report the truth
 * even when the cluster is half down.
 */
import type { ClusterReader, GossipRow, NodeVars } from "./reader";
import { matchNodes } from "./reader";
import type { NodeHandle } from "../node/handle";
import type { NodeJournal } from "../node/journal";
import type { ProbeOptions, ProbeResult } from "../node/probe";
import { localityVerdicts } from "./placement";
import type { ObservedCluster, ObservedNode } from "../core/types";

/** ObservedNode plus what only the I/O side needs. */
export interface NodeObservation extends ObservedNode {
  readonly journal?: NodeJournal;
  /** The build the process itself reports in /_status/vars. */
  readonly varsBuild?: string;
  readonly vars?: NodeVars;
  readonly row?: GossipRow;
  /** Why something could not be observed. */
  readonly errors: readonly string[];
}

export interface Observation {
  readonly cluster: ObservedCluster;
  readonly nodes: readonly NodeObservation[];
  readonly rows: readonly GossipRow[];
  readonly unlisted: readonly GossipRow[];
  /** Why SQL could not be read, if it could not. */
  readonly sqlError?: string;
}

/** What to ask each node (see node/probe.ts; defaults: everything), and whether to judge replica placement (locality batches). */
export interface ObserveOptions extends ProbeOptions {
  readonly placement?: boolean;
}

export async function observeCluster(
  reader: ClusterReader,
  handles: readonly NodeHandle[],
  signal?: AbortSignal,
  opts: ObserveOptions = {},
): Promise<Observation> {
  let rows: GossipRow[] = [];
  let sqlError: string | undefined;
  try {
    rows = await reader.gossip();
  } catch (e) {
    sqlError = (e as Error).message;
  }
  const { byName, unlisted } = matchNodes(
    handles.map((h) => h.spec),
    rows,
  );
  const nodes = await Promise.all(handles.map((h) => observeNode(reader, h, byName.get(h.spec.name), opts, signal)));
  const settings = sqlError === undefined ? await readSettings(reader) : {};
  const placement = opts.placement && sqlError === undefined ? await judgePlacement(reader, handles, rows) : {};
  const live = nodes.filter((n) => n.live);
  const cluster: ObservedCluster = {
    nodes,
    ...settings,
    ...placement,
    underReplicatedRanges: sumOverLive(live, (v) => v.underReplicated),
    unavailableRanges: sumOverLive(live, (v) => v.unavailable),
    unlistedNodeIds: unlisted.filter((r) => r.membership === "active").map((r) => r.nodeId),
  };
  return { cluster, nodes, rows, unlisted, sqlError };
}

async function observeNode(
  reader: ClusterReader,
  h: NodeHandle,
  row: GossipRow | undefined,
  opts: ObserveOptions,
  signal?: AbortSignal,
): Promise<NodeObservation> {
  const [probe, health, vars] = await Promise.all([
    h.ops.probe(opts, signal).catch((e: Error): ProbeResult => ({ process: "unknown", errors: [`probe: ${e.message}`] })),
    reader.health(h.spec, true, signal),
    // A read that missed its timeout is no evidence (50 nodes read at once on two loaded cores miss some):
    // asked once more before the node's range health counts as unknown, which pre-flight refuses.
    reader
      .vars(h.spec, signal)
      .catch(() => reader.vars(h.spec, signal))
      .catch((e: Error) => e),
  ]);
  const errors = [...probe.errors, ...(vars instanceof Error ? [`/_status/vars: ${vars.message}`] : [])];
  const { process: processState, binaryBuild, previousBuild, journal } = probe;
  const varsOk = vars instanceof Error ? undefined : vars;
  const running = processState === "running";
  const live = running && row !== undefined && row.isAvailable && row.isLive;
  return {
    name: h.spec.name,
    nodeId: row?.nodeId,
    // The process's own report first; gossip can lag a restart by a refresh.
    build: running ? (varsOk?.build ?? row?.build) : undefined,
    binaryBuild,
    previousBuild,
    process: processState === "running" && row?.draining ? "draining" : (processState ?? "unknown"),
    live,
    draining: row?.draining ?? false,
    membership: row?.membership,
    ready: health.status === 200,
    journal,
    varsBuild: varsOk?.build,
    vars: varsOk,
    row,
    errors,
  };
}

async function readSettings(
  reader: ClusterReader,
): Promise<Pick<ObservedCluster, "clusterVersion" | "preserveDowngradeOption" | "autoUpgradeEnabled">> {
  const get = (name: string) => reader.showSetting(name).catch(() => undefined);
  const [clusterVersion, preserveDowngradeOption, autoUpgrade] = await Promise.all([
    get("version"),
    get("cluster.preserve_downgrade_option"),
    // Absent before v23.2: undefined then.
    get("cluster.auto_upgrade.enabled"),
  ]);
  return {
    clusterVersion,
    preserveDowngradeOption,
    autoUpgradeEnabled: autoUpgrade === undefined ? undefined : autoUpgrade === "true" || autoUpgrade === "t",
  };
}

/** Whether each locality may be down as a whole (placement.ts), for the plan's locality batches. */
async function judgePlacement(
  reader: ClusterReader,
  handles: readonly NodeHandle[],
  rows: readonly GossipRow[],
): Promise<Pick<ObservedCluster, "localitySafe" | "localityReason" | "localityVerdicts">> {
  const v = await localityVerdicts(
    reader,
    handles.map((h) => h.spec),
    rows,
  );
  return { localitySafe: v.safe, ...(!v.safe && { localityReason: v.reason }), localityVerdicts: v.localities };
}

/** Summed over live nodes; undefined when any live node lacks the series (missing data must fail a gate). */
function sumOverLive(live: readonly NodeObservation[], pick: (v: NodeVars) => number | undefined): number | undefined {
  if (live.length === 0) return undefined;
  let sum = 0;
  for (const n of live) {
    const v = n.vars ? pick(n.vars) : undefined;
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}
