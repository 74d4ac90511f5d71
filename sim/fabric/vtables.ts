/**
 * Rows of the crdb_internal virtual tables, computed from the cluster state
 * (columns in common/vtable-schemas.ts). A stopped node's kv_store_status and
 * kv_node_status rows keep the values of its last status write.
 */
import { buildInfo, formatSeries, seriesOfTag } from "../common/versions";
import { hlcString } from "../common/vtable-schemas";
import { ClusterState, NodeRecord } from "./cluster";
import { rangesNoLeasesRows, rangesRows } from "./range-vtables";

type Row = readonly unknown[];

const STORE_CAPACITY = 500 * 1024 ** 3;

export function virtualTableRows(cluster: ClusterState, name: string): Row[] {
  const nodes = [...cluster.nodes.values()].sort((a, b) => a.id - b.id);
  switch (name) {
    case "crdb_internal.gossip_nodes":
      return nodes.map((n) => gossipNode(cluster, n));
    case "crdb_internal.gossip_liveness":
      return nodes.map((n) => [
        n.id,
        n.epoch,
        hlcString(n.expiration),
        n.draining,
        n.membership !== "active",
        n.membership,
        n.snapshot.updatedAt,
      ]);
    case "crdb_internal.kv_node_liveness":
      return nodes.map((n) => [n.id, n.epoch, hlcString(n.expiration), n.draining, n.membership]);
    case "crdb_internal.kv_node_status":
      return nodes.map((n) => nodeStatus(n));
    case "crdb_internal.kv_store_status":
      return nodes.map((n) => storeStatus(n));
    case "crdb_internal.ranges_no_leases":
      return rangesNoLeasesRows(cluster);
    case "crdb_internal.ranges":
      return rangesRows(cluster);
    case "crdb_internal.node_runtime_info":
      return [];
    default:
      return [];
  }
}

function gossipNode(cluster: ClusterState, n: NodeRecord): Row {
  return [
    n.id,
    "tcp",
    n.addr,
    n.addr,
    "tcp",
    n.sqlAddr,
    n.sqlAddr,
    [],
    n.locality,
    n.clusterName,
    formatSeries(seriesOfTag(n.binaryTag)),
    n.binaryTag,
    n.startedAt,
    cluster.isLive(n),
    n.snapshot.counts.replicas,
    n.snapshot.counts.leaseholders,
  ];
}

function nodeStatus(n: NodeRecord): Row {
  const b = buildInfo(n.binaryTag);
  const s = n.snapshot;
  const metrics = {
    "liveness.livenodes": s.liveNodes,
    "liveness.heartbeatsuccesses": Math.max(1, Math.floor((s.updatedAt - n.startedAt) / 4500)),
    "sql.conns": 0,
    "sys.uptime": Math.max(0, Math.floor((s.updatedAt - n.startedAt) / 1000)),
    "build.timestamp": b.buildTimestamp,
  };
  return [
    n.id,
    "tcp",
    n.addr,
    [],
    n.locality,
    formatSeries(seriesOfTag(n.binaryTag)),
    b.goVersion,
    b.tag,
    new Date(b.buildTimestamp * 1000).toISOString().replace("T", " ").slice(0, 19),
    b.revision,
    b.cCompiler,
    b.platform,
    b.distribution,
    b.type,
    "",
    n.startedAt,
    s.updatedAt,
    metrics,
    [...n.args],
    [],
    {},
  ];
}

/** The store metrics the CLI's --ranges/--stats queries read by key (reference §1). */
export function storeMetrics(n: NodeRecord): Record<string, number> {
  const s = n.snapshot;
  return {
    replicas: s.counts.replicas,
    "replicas.leaders": s.counts.leaseholders,
    "replicas.leaseholders": s.counts.leaseholders,
    "replicas.quiescent": Math.max(0, s.counts.replicas - s.counts.leaseholders),
    "ranges.unavailable": s.counts.unavailable,
    "ranges.underreplicated": s.counts.underreplicated,
    "ranges.overreplicated": 0,
    "raftlog.behind": s.raftLogBehind,
    livebytes: s.bytes.live,
    keybytes: s.bytes.key,
    valbytes: s.bytes.val,
    intentbytes: s.bytes.intent,
    sysbytes: s.bytes.sys,
    capacity: STORE_CAPACITY,
    "capacity.used": s.bytes.live + s.bytes.sys,
    "capacity.available": STORE_CAPACITY - s.bytes.live - s.bytes.sys,
  };
}

function storeStatus(n: NodeRecord): Row {
  const s = n.snapshot;
  const used = s.bytes.live + s.bytes.sys;
  return [
    n.id,
    n.id,
    [],
    STORE_CAPACITY,
    STORE_CAPACITY - used,
    used,
    s.bytes.live,
    s.counts.replicas,
    s.counts.leaseholders,
    0.0,
    {},
    {},
    storeMetrics(n),
    { encryption: null },
  ];
}
