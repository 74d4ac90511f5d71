/**
 * The cluster gate on a busy cluster (issue 17 §1): a workload writes through
 * pg the whole time, so followers are routinely behind their leaders, as on
 * any real cluster under load.
 *
 * - The simulator follows CockroachDB's definitions: Σ raftlog_behind over
 *   the stores is above 0 in steady state under load (calcBehindCount), and
 *   `/_status/ranges/local` serves each range's Raft state in the gateway's
 *   JSON, the leader's `progress` per follower replica with match/state.
 * - The gate holds in steady state under that load (the old "Σ raftlog_behind
 *   = 0" gate never held here), through a bake.
 * - After a restart it waits, naming the node, until the restarted node's
 *   replicas have caught up; by then no node is critical, and restarting the
 *   next node loses no range (the invariant monitor reads ranges_unavailable
 *   on every node every 250 ms).
 *
 * Loopback range: 127.0.120.x. About 40 s.
 */
import * as assert from "assert";
import { ClusterReader } from "../../provider/cluster/reader";
import { awaitClusterGate, bakeWithGate } from "../../provider/rollout/gate-loops";
import type { ClusterSample, GateContext } from "../../provider/rollout/gates";
import { parseSpec } from "../../provider/spec/parse";
import { InvariantMonitor } from "../support/invariant-monitor";
import { inputsFor, watched } from "../support/provider-harness";
import { httpGet, startSimCluster, waitFor, type SimCluster } from "../support/sim-cluster";
import { Workload } from "../support/workload";

const VERSION = "v23.1.11";

/** Σ raftlog_behind over the nodes' /_status/vars. */
async function raftLogBehind(sim: SimCluster): Promise<number> {
  let sum = 0;
  for (const n of sim.nodes) {
    const { body } = await httpGet(n.httpAddr, "/_status/vars");
    for (const m of body.matchAll(/^raftlog_behind\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
  }
  return sum;
}

interface RangesBody {
  ranges: {
    raftState: {
      state: string;
      hardState: { commit: string };
      progress: Record<string, { match: string; next: string; state: string; paused: boolean; pendingSnapshot: string }>;
    };
    state: { state: { desc: { rangeId: string; internalReplicas: { nodeId: number; storeId: number; replicaId: number }[] } } };
    sourceNodeId: number;
  }[];
  next: number;
}

async function ranges(httpAddr: string): Promise<RangesBody> {
  const res = await httpGet(httpAddr, "/_status/ranges/local");
  assert.strictEqual(res.status, 200, res.body);
  return JSON.parse(res.body) as RangesBody;
}

/** The most entries any replica of node `nodeId` trails its leader by, read from the leaders' progress. */
async function maxLagOf(sim: SimCluster, nodeId: number): Promise<number> {
  let max = 0;
  for (const n of sim.nodes) {
    for (const r of (await ranges(n.httpAddr)).ranges) {
      if (r.raftState.state !== "StateLeader") continue;
      const replica = r.state.state.desc.internalReplicas.find((x) => x.nodeId === nodeId);
      if (!replica) continue;
      max = Math.max(max, Number(r.raftState.hardState.commit) - Number(r.raftState.progress[String(replica.replicaId)].match));
    }
  }
  return max;
}

async function criticalNodeIds(httpAddr: string): Promise<number[]> {
  const res = await fetch(`http://${httpAddr}/_status/critical_nodes`, { method: "POST" });
  return ((await res.json()) as { criticalNodes: { nodeId: number }[] }).criticalNodes.map((n) => n.nodeId).sort();
}

describe("cluster gate on a busy cluster (catch-up)", function () {
  this.timeout(180_000);
  let sim: SimCluster;
  let workload: Workload;
  let ctx: GateContext;
  let reader: ClusterReader;

  before(async () => {
    // Scale 0.1: TTL 0.3 s, metrics refresh 1 s, catch-up window 3 s.
    sim = await startSimCluster({ nodes: 3, version: VERSION, baseIp: "127.0.120.10", timeScale: 0.1, livenessTtlS: 3 });
    workload = Workload.start({ addr: sim.nodes[0].sqlAddr, maxMs: 170_000, concurrency: 3, freshTable: true, readRatio: 0.3 });
    const spec = parseSpec(inputsFor(sim, VERSION, "http://127.0.0.1:9"));
    reader = new ClusterReader(spec.sql, spec.nodes);
    ctx = {
      reader,
      nodes: spec.nodes,
      strategy: { gateSamples: 3, gateIntervalMs: 250, gateRecheckAfterMs: 1200 },
      failOnUnavailable: true,
    };
    await waitFor("the workload writes", async () => (workload.acked.size >= 50 ? true : undefined), 30_000);
  });

  after(async () => {
    await workload?.stop();
    await reader?.close();
    await sim?.stop();
  });

  it("serves raftlog_behind above 0 under load, and the leaders' progress per follower on /_status/ranges", async () => {
    const seen: number[] = [];
    await waitFor(
      "raftlog_behind > 0 on a metrics refresh",
      async () => {
        seen.push(await raftLogBehind(sim));
        return seen[seen.length - 1] > 0 ? true : undefined;
      },
      10_000,
      250,
    );
    const body = await ranges(sim.nodes[1].httpAddr);
    assert.strictEqual(body.next, 0);
    assert.strictEqual(body.ranges.length, 64, "n2 holds a replica of every range");
    const led = body.ranges.filter((r) => r.raftState.state === "StateLeader");
    assert.ok(led.length > 0, "n2 leads some ranges");
    for (const r of led) {
      const ids = r.state.state.desc.internalReplicas.map((x) => String(x.replicaId)).sort();
      assert.deepStrictEqual(Object.keys(r.raftState.progress).sort(), ids, `range ${r.state.state.desc.rangeId}: progress per replica`);
      for (const p of Object.values(r.raftState.progress)) {
        assert.strictEqual(p.state, "StateReplicate");
        assert.match(p.match, /^\d+$/, "uint64 as a JSON string");
        assert.strictEqual(p.paused, false);
        assert.strictEqual(p.pendingSnapshot, "0");
      }
    }
    const follower = body.ranges.find((r) => r.raftState.state === "StateFollower");
    assert.deepStrictEqual(follower?.raftState.progress, {}, "progress only on the leader");
  });

  it("holds in steady state under write load, through a bake", async () => {
    const before = workload.acked.size;
    const samples = await awaitClusterGate(ctx, 15_000);
    const baked = await bakeWithGate(ctx, 2_000);
    assert.ok(
      baked.every((s) => s.ok),
      baked.map((s) => s.detail).join("\n"),
    );
    assert.ok(workload.acked.size > before, "the workload kept writing while the gate held");
    assert.ok(
      [...samples, ...baked].some((s) => (s.raftLogBehind ?? 0) > 0),
      "raftlog_behind was above 0 while the gate held",
    );
  });

  it("after a restart, waits until the restarted node has caught up; the next restart then loses no range", async () => {
    const monitor = await InvariantMonitor.start(watched(sim), 250, { rangeHealth: true });
    try {
      const restarted = await sim.restartNode("n3");
      assert.strictEqual(restarted.code, 0, restarted.stderr);
      const seen: ClusterSample[] = [];
      await awaitClusterGate({ ...ctx, onSample: (s) => seen.push(s) }, 30_000);
      const waited = seen.filter((s) => !s.ok && /catching up: n3: \d+ replicas, raft log behind \d+ entries/.test(s.detail));
      assert.ok(waited.length > 0, `the gate waited for n3's catch-up:\n${seen.map((s) => s.detail).join("\n")}`);
      assert.ok((await maxLagOf(sim, 3)) <= 64, "n3's replicas are within the in-flight bound of their leaders");
      assert.deepStrictEqual(await criticalNodeIds(sim.nodes[0].httpAddr), [], "no node is critical any more");
      const next = await sim.restartNode("n1");
      assert.strictEqual(next.code, 0, next.stderr);
      await awaitClusterGate(ctx, 30_000);
    } finally {
      await monitor.stop();
    }
    const health = monitor.unavailableRanges();
    assert.ok(health.sampled > 10, `range health was sampled (${health.sampled})`);
    assert.strictEqual(health.max, 0, "no range became unavailable");
    const stats = await workload.stop();
    assert.ok(stats.ackedWrites > 0);
  });
});
