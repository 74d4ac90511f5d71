/**
 * `GET /_status/vars`: the node's metrics in Prometheus text format, every
 * series with `# HELP` and `# TYPE` (reference §3). Store series carry
 * `store="N"` and, from v23.1, `node_id="N"` (#98640); node series carry
 * `node_id` from v23.1; `build_timestamp` carries tag and go_version (and
 * major/minor from v26.1).
 */
import { buildInfo, compareSeries, parseSeries, seriesOfTag } from "../common/versions";
import { NodeStatusSnapshot } from "../fabric/protocol";

export interface PromInput {
  readonly nodeId: number;
  readonly binaryTag: string;
  readonly snapshot: NodeStatusSnapshot;
  /** This node's own liveness is unexpired. */
  readonly selfLive: boolean;
  readonly liveNodes: number;
  readonly startedAt: number;
  readonly sqlConns: number;
  readonly heartbeats: number;
  readonly selectCount: number;
}

interface Series {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge" | "counter";
  readonly value: number;
  readonly scope: "store" | "node";
}

const STORE_CAPACITY = 500 * 1024 ** 3;

export function renderPrometheus(input: PromInput): string {
  const withNodeId = compareSeries(seriesOfTag(input.binaryTag), parseSeries("23.1")) >= 0;
  const storeLabels = withNodeId ? `{store="${input.nodeId}",node_id="${input.nodeId}"}` : `{store="${input.nodeId}"}`;
  const nodeLabels = withNodeId ? `{node_id="${input.nodeId}"}` : "";
  const b = buildInfo(input.binaryTag);
  const lines: string[] = [];
  for (const s of seriesFor(input)) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    lines.push(`${s.name}${s.scope === "store" ? storeLabels : nodeLabels} ${formatValue(s.value)}`);
  }
  lines.push("# HELP build_timestamp Build information", "# TYPE build_timestamp gauge");
  const series = seriesOfTag(input.binaryTag);
  // v26.1 added the major/minor labels (#163834).
  const versionLabels = compareSeries(series, parseSeries("26.1")) >= 0 ? `,major="${series.major}",minor="${series.minor}"` : "";
  lines.push(`build_timestamp{tag="${b.tag}",go_version="${b.goVersion}"${versionLabels}} ${formatValue(b.buildTimestamp)}`);
  return lines.join("\n") + "\n";
}

function seriesFor(i: PromInput): Series[] {
  const c = i.snapshot.counts;
  const by = i.snapshot.bytes;
  const used = by.live + by.sys;
  const store = (name: string, help: string, value: number): Series => ({ name, help, type: "gauge", value, scope: "store" });
  const node = (name: string, help: string, value: number, type: "gauge" | "counter" = "gauge"): Series => ({
    name,
    help,
    type,
    value,
    scope: "node",
  });
  return [
    store("ranges", "Number of ranges", c.leaseholders),
    store("ranges_unavailable", "Number of ranges with fewer live replicas than needed for quorum", c.unavailable),
    store("ranges_underreplicated", "Number of ranges with fewer live replicas than the replication target", c.underreplicated),
    store("ranges_overreplicated", "Number of ranges with more live replicas than the replication target", 0),
    store("raftlog_behind", "Number of Raft log entries followers on other stores are behind", i.snapshot.raftLogBehind),
    store("replicas", "Number of replicas", c.replicas),
    store("replicas_leaders", "Number of raft leaders", c.leaseholders),
    store("replicas_leaseholders", "Number of lease holders", c.leaseholders),
    store("livebytes", "Number of bytes of live data (keys plus values)", by.live),
    store("keybytes", "Number of bytes taken up by keys", by.key),
    store("valbytes", "Number of bytes taken up by values", by.val),
    store("sysbytes", "Number of bytes in system KV pairs", by.sys),
    store("capacity", "Total storage capacity", STORE_CAPACITY),
    store("capacity_available", "Available storage capacity", STORE_CAPACITY - used),
    store("capacity_used", "Used storage capacity", used),
    node(
      "liveness_livenodes",
      "Number of live nodes in the cluster (will be 0 if this node is not itself live)",
      i.selfLive ? i.liveNodes : 0,
    ),
    node("liveness_heartbeatsuccesses", "Number of successful node liveness heartbeats from this node", i.heartbeats, "counter"),
    node("sql_conns", "Number of open SQL connections", i.sqlConns),
    node("sql_select_count", "Number of SQL SELECT statements successfully executed", i.selectCount, "counter"),
    node("sys_uptime", "Process uptime", Math.floor((Date.now() - i.startedAt) / 1000), "counter"),
    node("sys_rss", "Current process RSS", process.memoryUsage().rss),
  ];
}

/** Integers print plainly; large values in Go's %g form (1.695822778e+09), as the Prometheus exporter does. */
export function formatValue(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const [mant, exp] = v.toExponential().split("e");
  const e = Number(exp);
  const sign = e < 0 ? "-" : "+";
  return `${mant}e${sign}${String(Math.abs(e)).padStart(2, "0")}`;
}
