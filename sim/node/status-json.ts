/**
 * `GET /_status/nodes` and `/_status/nodes/local`: the gRPC-gateway JSON of
 * the Status service (reference §3). The gateway prints enums as ints,
 * 64-bit integers as strings, and emits default values.
 */
import { buildInfo, formatSeries, seriesOfTag } from "../common/versions";
import { NodeSummary } from "../fabric/protocol";

function addr(hostPort: string): { networkField: string; addressField: string } {
  return { networkField: "tcp", addressField: hostPort };
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

function locality(text: string): { tiers: { key: string; value: string }[] } {
  const tiers = text
    .split(",")
    .filter((t) => t.includes("="))
    .map((t) => {
      const [key, value] = t.split("=", 2);
      return { key, value };
    });
  return { tiers };
}

export function nodeStatusJson(n: NodeSummary): Record<string, unknown> {
  const s = seriesOfTag(n.binaryTag);
  const b = buildInfo(n.binaryTag);
  const c = n.snapshot.counts;
  const metrics = {
    "liveness.livenodes": n.snapshot.liveNodes,
    "sys.uptime": Math.max(0, Math.floor((n.updatedAt - n.startedAt) / 1000)),
    "build.timestamp": b.buildTimestamp,
  };
  return {
    desc: {
      nodeId: n.nodeId,
      address: addr(n.addr),
      attrs: { attrs: [] },
      locality: locality(n.locality),
      serverVersion: { majorVal: s.major, minorVal: s.minor, patch: 0, internal: 0 },
      buildTag: n.binaryTag,
      startedAt: nanos(n.startedAt),
      localityAddress: [],
      clusterName: "",
      sqlAddress: addr(n.sqlAddr),
      httpAddress: addr(n.httpAddr),
    },
    buildInfo: {
      goVersion: b.goVersion,
      tag: b.tag,
      time: new Date(b.buildTimestamp * 1000).toISOString().replace("T", " ").slice(0, 19),
      revision: b.revision,
      cgoCompiler: b.cCompiler,
      cgoTargetTriple: "x86_64-pc-linux-gnu",
      platform: b.platform,
      distribution: b.distribution,
      type: b.type,
      channel: b.channel,
      envChannel: "",
      enabledAssertions: false,
      dependencies: null,
    },
    startedAt: nanos(n.startedAt),
    updatedAt: nanos(n.updatedAt),
    metrics,
    storeStatuses: [
      {
        desc: {
          storeId: n.nodeId,
          attrs: { attrs: [] },
          node: {
            nodeId: n.nodeId,
            address: addr(n.addr),
            serverVersion: { majorVal: s.major, minorVal: s.minor, patch: 0, internal: 0 },
            buildTag: n.binaryTag,
          },
          capacity: { rangeCount: c.replicas, leaseCount: c.leaseholders },
        },
        metrics: {
          replicas: c.replicas,
          "replicas.leaders": c.leaseholders,
          "replicas.leaseholders": c.leaseholders,
          "ranges.unavailable": c.unavailable,
          "ranges.underreplicated": c.underreplicated,
          livebytes: n.snapshot.bytes.live,
        },
      },
    ],
    args: [...n.args],
    env: [],
    latencies: {},
    activity: {},
    totalSystemMemory: "25275805696",
    numCpus: 2,
  };
}

export function nodesResponse(nodes: readonly NodeSummary[]): Record<string, unknown> {
  const livenessByNodeId: Record<string, number> = {};
  for (const n of nodes) livenessByNodeId[String(n.nodeId)] = n.livenessStatus;
  return { nodes: nodes.map(nodeStatusJson), livenessByNodeId };
}

export function serverVersionText(tag: string): string {
  return formatSeries(seriesOfTag(tag));
}
