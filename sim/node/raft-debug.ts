/**
 * `GET /_status/raft` (CockroachDB's `RaftDebug`, `pkg/server/status.go`):
 * the node that receives it asks every node of the cluster for its replicas
 * and merges the answers per range.
 *
 * As CockroachDB does it: the node list is `ListNodesInternal` (the nodes'
 * status records; decommissioned nodes have none); each node is asked, in
 * parallel, for its `Ranges` — this node answers from its own stores, any
 * other over an RPC to it (`dialNode`), here the JSON-over-HTTP RPC
 * `Status/Ranges` on its RPC port. A node that cannot be asked adds
 * `failed to get ranges from <id>: <cause>` to the top-level `errors` and
 * nothing else: the answer is still 200. Then, per range, a replica whose
 * node is not in its own descriptor adds `node <id> not in range descriptor
 * and should be GCed`, and a descriptor unlike the previous node's adds
 * `node <id> range descriptor does not match node <prev>` to that range's
 * `errors`. JSON as the gRPC gateway prints `RaftDebugResponse`: `ranges`
 * is a map keyed by range ID (a string), each `{rangeId, errors, nodes:
 * [{nodeId, range: RangeInfo}]}`.
 *
 * The cause text of an unreachable node is this simulator's rendering of
 * gRPC's dial error, not checked against CockroachDB's exact wording.
 */
import type { NodeSummary } from "../fabric/protocol";
import { RPC, postJson, splitHostPort, type RpcTls } from "./rpc";

type Json = Record<string, unknown>;

/** A hung peer: the leg gives up after this long (CockroachDB's gateway would wait for the caller's deadline). */
const LEG_TIMEOUT_MS = 5_000;
const GRPC_CODE_NAMES: Record<number, string> = {
  2: "Unknown",
  5: "NotFound",
  12: "Unimplemented",
  14: "Unavailable",
  16: "Unauthenticated",
};

export interface RaftDebugSource {
  readonly selfId: number;
  /** ListNodesInternal: every node with a status record. */
  nodes(): Promise<readonly NodeSummary[]>;
  /** This node's own `Ranges` answer. */
  local(rangeIds: readonly number[]): Promise<Json>;
  /** Client TLS for RPCs to a secure cluster's nodes. */
  readonly tls?: RpcTls;
}

export async function raftDebug(src: RaftDebugSource, rangeIds: readonly number[]): Promise<Json> {
  const nodes = (await src.nodes()).filter((n) => n.membership !== "decommissioned");
  const errors: { message: string }[] = [];
  const ranges = new Map<string, { rangeId: string; errors: { message: string }[]; nodes: { nodeId: number; range: Json }[] }>();
  const answers = await Promise.all(
    nodes.map(async (n) => {
      try {
        return { n, body: n.nodeId === src.selfId ? await src.local(rangeIds) : await remote(n, rangeIds, src.tls) };
      } catch (e) {
        return { n, error: (e as Error).message };
      }
    }),
  );
  for (const a of answers) {
    if (a.error !== undefined || a.body === undefined) {
      errors.push({ message: `failed to get ranges from ${a.n.nodeId}: ${a.error ?? "no answer"}` });
      continue;
    }
    for (const info of (a.body.ranges as Json[] | undefined) ?? []) {
      const rangeId = String(descOf(info).rangeId);
      const entry = ranges.get(rangeId) ?? { rangeId, errors: [], nodes: [] };
      entry.nodes.push({ nodeId: a.n.nodeId, range: info });
      ranges.set(rangeId, entry);
    }
  }
  for (const entry of ranges.values()) checkDescriptors(entry);
  return { ranges: Object.fromEntries(ranges), errors };
}

/** The per-range checks of RaftDebug: a replica to be GCed, descriptors that disagree. */
function checkDescriptors(entry: { errors: { message: string }[]; nodes: { nodeId: number; range: Json }[] }): void {
  entry.nodes.forEach(({ nodeId, range }, j) => {
    const desc = descOf(range);
    const replicas = (desc.internalReplicas as { nodeId: number }[] | undefined) ?? [];
    if (!replicas.some((r) => r.nodeId === nodeId))
      entry.errors.push({ message: `node ${nodeId} not in range descriptor and should be GCed` });
    if (j > 0) {
      const prev = entry.nodes[j - 1];
      if (JSON.stringify(descOf(prev.range)) !== JSON.stringify(desc))
        entry.errors.push({ message: `node ${nodeId} range descriptor does not match node ${prev.nodeId}` });
    }
  });
}

function descOf(info: Json): Json {
  return ((info.state as Json | undefined)?.state as Json | undefined)?.desc as Json;
}

/** One leg: the `Ranges` RPC to another node, for its own replicas. */
async function remote(n: NodeSummary, rangeIds: readonly number[], tls?: RpcTls): Promise<Json> {
  const [host, port] = splitHostPort(n.addr);
  let res: { status: number; body: unknown };
  try {
    res = await postJson(host, port, RPC.ranges, { nodeId: "local", rangeIds }, LEG_TIMEOUT_MS, tls);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.message === "timeout") throw new Error("context deadline exceeded");
    const cause = err.code === "ECONNREFUSED" ? "connect: connection refused" : err.message;
    throw new Error(
      `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${n.addr}: ${cause}"`,
    );
  }
  if (res.status !== 200) {
    const b = res.body as { error?: string; code?: number };
    throw new Error(`rpc error: code = ${GRPC_CODE_NAMES[b.code ?? 2] ?? "Unknown"} desc = ${b.error ?? `HTTP ${res.status}`}`);
  }
  return res.body as Json;
}
