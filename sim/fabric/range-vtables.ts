/**
 * Rows of crdb_internal.ranges_no_leases and crdb_internal.ranges (v23.1+
 * schema, CR `pkg/sql/crdb_internal.go`), from the fabric's replica
 * placement, so a client sees the placement the simulator really uses:
 * - `replicas`: voters and non-voters as store IDs, sorted by store ID;
 *   `replica_localities` in the same order (NULL for an unknown node);
 * - `voting_replicas` in descriptor (placement) order; no non-voters or
 *   learners are simulated;
 * - `lease_holder` (ranges only): the leaseholder's store ID.
 * Each node has one store whose ID equals the node ID.
 * Keys are plausible: system ranges first, then one range per table ID.
 */
import { ClusterState } from "./cluster";
import { RangeDesc } from "./ranges";

type Row = readonly unknown[];

/** Bytes a simulated range holds (key + value bytes), as range_size shows. */
const RANGE_SIZE = 96 * 1024;

const SYSTEM_SPANS: readonly string[] = ["/Min", "/System/NodeLiveness", "/System/NodeLivenessMax", "/System/tsd", '/System/"tse"'];

/** Pretty start key of range number `i` (0-based) out of `count`. */
function prettyKey(i: number, count: number): string {
  if (i >= count) return "/Max";
  if (i < SYSTEM_SPANS.length) return SYSTEM_SPANS[i];
  return `/Table/${i - SYSTEM_SPANS.length + 3}`;
}

/** Raw key bytes (hex) for a pretty key: /System keys under 0x04, /Table/N as CockroachDB's one-byte uvarint 0x88+N. */
function rawKeyHex(pretty: string): string {
  if (pretty === "/Min") return "";
  if (pretty === "/Max") return "ffff";
  const table = /^\/Table\/(\d+)$/.exec(pretty);
  if (table) return (0x88 + Number(table[1])).toString(16).padStart(2, "0");
  return "04" + Buffer.from(pretty.replace(/^\/System\//, "").replace(/"/g, ""), "utf8").toString("hex");
}

function rangeRow(cluster: ClusterState, r: RangeDesc, index: number, count: number): unknown[] {
  const stores = [...r.replicas].sort((a, b) => a - b);
  const locality = (id: number): string | null => cluster.nodes.get(id)?.locality ?? null;
  const start = prettyKey(index, count);
  const end = prettyKey(index + 1, count);
  return [r.id, rawKeyHex(start), start, rawKeyHex(end), end, stores, stores.map(locality), [...r.replicas], [], [], null];
}

export function rangesNoLeasesRows(cluster: ClusterState): Row[] {
  const ranges = [...cluster.ranges].sort((a, b) => a.id - b.id);
  return ranges.map((r, i) => rangeRow(cluster, r, i, ranges.length));
}

export function rangesRows(cluster: ClusterState): Row[] {
  const ranges = [...cluster.ranges].sort((a, b) => a.id - b.id);
  return ranges.map((r, i) => [...rangeRow(cluster, r, i, ranges.length), r.leaseholder, RANGE_SIZE + ((r.id * 7919) % 4096)]);
}
