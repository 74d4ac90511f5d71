/**
 * The cluster's own list of nodes (liveness joined with gossip, as
 * `cockroach node status` builds it) and which listed node each row is.
 */
import type { NodeSpec } from "../core/types";

/** One row per node the cluster knows: liveness joined with gossip, as `cockroach node status` does. */
export interface GossipRow {
  readonly nodeId: number;
  readonly address: string;
  readonly sqlAddress: string;
  readonly build: string;
  readonly locality: string;
  /** Liveness record unexpired (the CLI's is_available). */
  readonly isAvailable: boolean;
  /** Gossiped recently (the CLI's is_live). */
  readonly isLive: boolean;
  readonly draining: boolean;
  readonly membership: string;
}

/** The query: liveness LEFT JOIN gossip, liveness expiry judged by the cluster's own clock (as the CLI does). */
export const GOSSIP_SQL = `SELECT node_id, address, sql_address, build_tag, locality,
  split_part(expiration, ',', 1)::DECIMAL > now()::DECIMAL AS is_available,
  ifnull(is_live, false) AS is_live, draining, membership
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)
ORDER BY node_id`;

export function toGossipRow(r: Record<string, unknown>): GossipRow {
  return {
    nodeId: Number(r.node_id),
    address: String(r.address ?? ""),
    sqlAddress: String(r.sql_address ?? ""),
    build: String(r.build_tag ?? ""),
    locality: String(r.locality ?? ""),
    isAvailable: toBool(r.is_available),
    isLive: toBool(r.is_live),
    draining: toBool(r.draining),
    membership: String(r.membership ?? "active"),
  };
}

function toBool(v: unknown): boolean {
  return v === true || v === "t" || v === "true";
}

/**
 * Matches listed nodes to the cluster's rows by SQL address (or RPC address:
 * the node's rpcAddr, or its SQL address where SQL shares the RPC port). Returns the row per node name
 * and the rows no listed node claims.
 */
export function matchNodes(
  nodes: readonly (Pick<NodeSpec, "name" | "sqlAddr"> & Partial<Pick<NodeSpec, "rpcAddr" | "rpcAddrGiven">>)[],
  rows: readonly GossipRow[],
): { readonly byName: ReadonlyMap<string, GossipRow>; readonly unlisted: readonly GossipRow[] } {
  const byName = new Map<string, GossipRow>();
  const claimed = new Set<number>();
  // Each row's addresses normalized once: every watch and gate sample matches every node against every row,
  // and normalizing both sides of each comparison made that N² strings per sample.
  const sqlOf = rows.map((r) => normAddr(r.sqlAddress));
  const rpcOf = rows.map((r) => normAddr(r.address));
  const first = (match: (i: number) => boolean): GossipRow | undefined => {
    for (let i = 0; i < rows.length; i++) if (!claimed.has(rows[i].nodeId) && match(i)) return rows[i];
    return undefined;
  };
  for (const n of nodes) {
    const want = normAddr(`${n.sqlAddr.host}:${n.sqlAddr.port}`);
    const rpc = n.rpcAddr === undefined ? want : normAddr(`${n.rpcAddr.host}:${n.rpcAddr.port}`);
    const row =
      first((i) => sqlOf[i] === want) ??
      // By RPC address where the inputs name it (a proxy or NAT in front of SQL) or the row has no SQL
      // address; otherwise a listed sqlAddr the cluster reports differently is a wrong input, refused.
      first((i) => (n.rpcAddrGiven === true || rows[i].sqlAddress === "") && rpcOf[i] === rpc) ??
      first((i) => rpcOf[i] === want);
    if (row) {
      byName.set(n.name, row);
      claimed.add(row.nodeId);
    }
  }
  return { byName, unlisted: rows.filter((r) => !claimed.has(r.nodeId)) };
}

/** Comparable form of "host:port"; undefined for an empty address (never matches). */
function normAddr(s: string): string | undefined {
  if (s === "") return undefined;
  return s
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]:/, "$1:")
    .replace(/^localhost:/, "127.0.0.1:");
}
