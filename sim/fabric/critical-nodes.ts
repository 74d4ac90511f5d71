/**
 * `POST /_status/critical_nodes` (v23.1+, DOCS `monitoring-and-alerting.md`
 * "Critical nodes endpoint"): the nodes whose loss would make ranges
 * unavailable, and a conformance report of under-replicated and
 * unavailable ranges, in the gRPC gateway's JSON (64-bit integers as
 * strings, enums as ints, keys base64).
 *
 * A live node is critical when some range with a replica on it has exactly
 * a quorum of healthy voters left, so losing that node would lose quorum.
 * Replicas inside a post-restart catch-up window are not healthy (they
 * cannot vote a write through yet, #101321), as in range counting.
 */
import { seriesOfTag } from "../common/versions";
import { ClusterState, NodeRecord, REPLICATION_FACTOR } from "./cluster";
import { RangeDesc, neededVoters } from "./ranges";

type Json = Record<string, unknown>;

const hostPort = (a: string): Json => ({ networkField: "tcp", addressField: a });

function nodeDescriptor(n: NodeRecord): Json {
  const s = seriesOfTag(n.binaryTag);
  return {
    nodeId: n.id,
    address: hostPort(n.addr),
    attrs: { attrs: [] },
    locality: {
      tiers: n.locality
        .split(",")
        .filter((t) => t.includes("="))
        .map((t) => ({ key: t.slice(0, t.indexOf("=")), value: t.slice(t.indexOf("=") + 1) })),
    },
    ServerVersion: { majorVal: s.major, minorVal: s.minor, patch: 0, internal: 0 },
    buildTag: n.binaryTag,
    startedAt: (BigInt(Math.round(n.startedAt)) * 1_000_000n).toString(),
    localityAddress: [],
    clusterName: n.clusterName,
    sqlAddress: hostPort(n.sqlAddr),
    httpAddress: hostPort(n.httpAddr),
  };
}

function conformanceEntry(r: RangeDesc, numReplicas: number): Json {
  return {
    rangeDescriptor: {
      rangeId: String(r.id),
      startKey: Buffer.from([0x88 + (r.id % 100)]).toString("base64"),
      endKey: Buffer.from([0x88 + ((r.id + 1) % 100)]).toString("base64"),
      internalReplicas: r.replicas.map((id, i) => ({ nodeId: id, storeId: id, replicaId: i + 1, type: 0 })),
      nextReplicaId: r.replicas.length + 1,
      generation: "1",
      stickyBit: { wallTime: "0", logical: 0, synthetic: false },
    },
    config: {
      rangeMinBytes: "134217728",
      rangeMaxBytes: "536870912",
      gcPolicy: { ttlSeconds: 14400, protectionPolicies: [], ignoreStrictEnforcement: false },
      globalReads: false,
      numReplicas,
      numVoters: 0,
      constraints: [],
      voterConstraints: [],
      leasePreferences: [],
      rangefeedEnabled: false,
      excludeDataFromBackup: false,
    },
  };
}

export function criticalNodesResponse(cluster: ClusterState): Json {
  const views = new Map(cluster.views().map((v) => [v.id, v]));
  const active = [...views.values()].filter((v) => !v.decommissioned).length;
  const need = neededVoters(REPLICATION_FACTOR, active);
  const critical = new Set<number>();
  const underReplicated: Json[] = [];
  const unavailable: Json[] = [];
  for (const r of [...cluster.ranges].sort((a, b) => a.id - b.id)) {
    const live = r.replicas.filter((id) => views.get(id)?.live === true);
    const healthy = live.filter((id) => views.get(id)?.caughtUp !== false);
    const quorum = Math.floor(r.replicas.length / 2) + 1;
    if (healthy.length < quorum) unavailable.push(conformanceEntry(r, REPLICATION_FACTOR));
    else if (healthy.length === quorum) for (const id of healthy) critical.add(id);
    if (live.filter((id) => views.get(id)?.stuckReplicas !== true).length < need)
      underReplicated.push(conformanceEntry(r, REPLICATION_FACTOR));
  }
  const nodes = [...cluster.nodes.values()].sort((a, b) => a.id - b.id);
  return {
    criticalNodes: nodes.filter((n) => critical.has(n.id)).map(nodeDescriptor),
    report: {
      underReplicated,
      overReplicated: [],
      violatingConstraints: [],
      unavailable,
      unavailableNodeIds: nodes.filter((n) => n.membership === "active" && !cluster.isLive(n)).map((n) => n.id),
    },
  };
}
