/**
 * The cluster right now, every listed node: process (asked of its process
 * manager), liveness and draining (the cluster's own view, gossip_liveness),
 * readiness (`/health?ready=1`) and the build the process reports. The guard
 * (guard.ts) reads it before every disruptive action, the whole-cluster
 * watch (watch.ts) samples it for the whole run.
 *
 * Never throws: what cannot be asked is recorded as unknown, and a node
 * whose state cannot be confirmed is never counted as up.
 */
import type { ClusterReader } from "./reader";
import { matchNodes } from "./reader";
import type { NodeHandle } from "../node/handle";
import type { NodeProcessState } from "../core/types";

/** How a node counts against the budget: only "up" does not. */
export type NodeCondition = "up" | "draining" | "unready" | "down";

export interface NodeNow {
  readonly name: string;
  readonly host: string;
  readonly nodeId?: number;
  readonly process: NodeProcessState;
  /** undefined when the cluster's liveness could not be read (SQL unreachable). */
  readonly live?: boolean;
  readonly draining: boolean;
  /** `/health?ready=1` answered 200. */
  readonly ready: boolean;
  /** The HTTP endpoint answered at all. */
  readonly reachable: boolean;
  /** The build the process reports (its /_status/vars, or gossip). */
  readonly build?: string;
}

export interface ClusterNow {
  /** Epoch ms of the read. */
  readonly at: number;
  readonly nodes: readonly NodeNow[];
  /** Why the cluster's liveness could not be read, if it could not. */
  readonly sqlError?: string;
}

/**
 * Pure. down: the process is not running, or nothing answers on its HTTP
 * port, or the cluster says it is not live (its replicas do not vote).
 * draining/unready: running and voting, but refusing clients.
 */
export function conditionOf(n: NodeNow): NodeCondition {
  if (n.process === "stopped" || !n.reachable || n.live === false) return "down";
  if (n.draining || n.process === "draining") return "draining";
  if (!n.ready) return "unready";
  return "up";
}

/** Pure: "n1 down (process stopped, not live); n2 v23.1.12 ready; n3 v23.1.11 draining". */
export function describeCluster(now: ClusterNow): string {
  return now.nodes.map(describeNode).join("; ");
}

export function describeNode(n: NodeNow): string {
  const c = conditionOf(n);
  const runs = n.build ? ` ${n.build}` : "";
  if (c === "up") return `${n.name}${runs} ready`;
  const why: string[] = [];
  if (n.process !== "running") why.push(`process ${n.process}`);
  if (!n.reachable) why.push("HTTP unreachable");
  if (n.live === false) why.push("not live");
  if (n.draining) why.push("draining");
  if (n.reachable && !n.ready && !n.draining) why.push("not ready");
  return `${n.name}${runs} ${c} (${why.join(", ")})`;
}

/**
 * `light` (the whole-cluster watch every gate interval, the guard before each
 * drain and stop): a node whose own `/health?ready=1` answers 200 is
 * serving, so its process manager is asked only when it does not, and the
 * build is gossip's, not a `/_status/vars` read. conditionOf gives the same
 * verdict (every node not answering ready still has its process manager
 * asked); at 50 nodes a look costs 50 process-manager calls and 50 metrics
 * reads fewer, which made the guard ~1.8 s of every node's turn on two
 * loaded cores.
 */
export interface ReadOptions {
  readonly light?: boolean;
  /**
   * Nodes the run holds down on purpose (the whole-cluster watch's held set):
   * their process manager is not asked, their process reads "unknown". The
   * watch never judges a held node, so the answer changed nothing but cost a
   * command per held node at every sample: a batch of 10 stopped nodes, 10
   * shells every gate interval on the node's hosts (and, with the local
   * transport, 10 process spawns blocking the provider). The guard's looks
   * never pass it: they ask every node.
   */
  readonly held?: ReadonlySet<string>;
}

export async function readClusterNow(
  reader: ClusterReader,
  handles: readonly NodeHandle[],
  signal?: AbortSignal,
  opts: ReadOptions = {},
): Promise<ClusterNow> {
  const at = Date.now();
  let rows;
  let sqlError: string | undefined;
  try {
    rows = await reader.gossip();
  } catch (e) {
    sqlError = (e as Error).message;
  }
  const byName = rows
    ? matchNodes(
        handles.map((h) => h.spec),
        rows,
      ).byName
    : undefined;
  const nodes = await Promise.all(
    handles.map(async (h): Promise<NodeNow> => {
      const processOf = async (): Promise<NodeProcessState> =>
        opts.held?.has(h.spec.name) ? "unknown" : h.ops.processState(signal).catch((): NodeProcessState => "unknown");
      const [asked, health] = await Promise.all([opts.light ? undefined : processOf(), reader.health(h.spec, true, signal)]);
      const process = asked ?? (health.status === 200 ? "running" : await processOf());
      const row = byName?.get(h.spec.name);
      const build =
        health.reachable && !opts.light
          ? await reader.vars(h.spec, signal).then(
              (v) => v.build,
              () => undefined,
            )
          : undefined;
      return {
        name: h.spec.name,
        host: h.spec.sqlAddr.host,
        nodeId: row?.nodeId,
        process,
        live: byName === undefined ? undefined : row !== undefined && row.isAvailable && row.isLive,
        draining: row?.draining ?? false,
        ready: health.status === 200,
        reachable: health.reachable,
        build: build ?? (process === "running" ? row?.build : undefined),
      };
    }),
  );
  return { at, nodes, ...(sqlError !== undefined && { sqlError }) };
}
