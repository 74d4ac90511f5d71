/**
 * `GET /_status/raft` as CockroachDB serves it (`pkg/server/status.go`
 * `RaftDebug`): the node asked fans `Ranges` out to every node of the
 * cluster and merges the replicas per range; a node it cannot reach is only
 * a `failed to get ranges from <id>: ...` entry in the top-level `errors`
 * (still 200). Each replica's `problems.underreplicated`/`unavailable` is
 * its `calcRangeCounter` verdict, set on the one replica that counts the
 * range, so their sum equals the `ranges_underreplicated` gauges summed over
 * the live nodes once the metrics have refreshed. And the provider's gate
 * sample reads it with one request, failing while a node is unreachable.
 *
 * Loopback range: 127.0.123.x. About 15 s.
 */
import * as assert from "assert";
import { ClusterReader } from "../../provider/cluster/reader";
import { sampleClusterGate } from "../../provider/rollout/gates";
import { parseSpec } from "../../provider/spec/parse";
import { readStatusCounters } from "../../sim/launcher/counters";
import { inputsFor } from "../support/provider-harness";
import { httpGet, startSimCluster, waitFor, type SimCluster } from "../support/sim-cluster";

const VERSION = "v23.1.11";

interface RaftDebugBody {
  ranges: Record<
    string,
    {
      rangeId: string;
      errors: { message: string }[];
      nodes: {
        nodeId: number;
        range: {
          raftState: { state: string };
          state: { state: { desc: { rangeId: string; internalReplicas: { nodeId: number }[] } } };
          problems: { underreplicated: boolean; unavailable: boolean };
          sourceNodeId: number;
        };
      }[];
    }
  >;
  errors: { message: string }[];
}

async function raft(sim: SimCluster, query = ""): Promise<RaftDebugBody> {
  const res = await httpGet(sim.nodes[0].httpAddr, `/_status/raft${query}`, 15_000);
  assert.strictEqual(res.status, 200, res.body);
  return JSON.parse(res.body) as RaftDebugBody;
}

/** Σ of a store gauge over the /_status/vars of the given nodes. */
async function gaugeSum(sim: SimCluster, names: readonly string[], gauge: string): Promise<number> {
  let sum = 0;
  for (const n of sim.nodes.filter((x) => names.includes(x.name))) {
    const { body } = await httpGet(n.httpAddr, "/_status/vars");
    for (const m of body.matchAll(new RegExp(`^${gauge}\\{[^}]*\\} (\\d+)$`, "gm"))) sum += Number(m[1]);
  }
  return sum;
}

function flagged(b: RaftDebugBody, flag: "underreplicated" | "unavailable"): number {
  return Object.values(b.ranges)
    .flatMap((r) => r.nodes)
    .filter((n) => n.range.problems[flag]).length;
}

describe("sim: /_status/raft, the cluster-wide Raft view (RaftDebug)", function () {
  this.timeout(120_000);
  let sim: SimCluster;
  let reader: ClusterReader | undefined;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: VERSION, baseIp: "127.0.123.10", timeScale: 0.1 });
  });

  after(async () => {
    await reader?.close();
    await sim?.stop();
  });

  it("merges every node's replicas per range, with one leader each, and asks each node once", async () => {
    const before = await readStatusCounters(sim.dir);
    const b = await raft(sim);
    const after = await readStatusCounters(sim.dir);
    assert.strictEqual(after.rangesServed - before.rangesServed, 3, "one Ranges call per node");
    assert.deepStrictEqual(b.errors, []);
    const ids = Object.keys(b.ranges);
    assert.ok(ids.length > 0);
    for (const id of ids) {
      const r = b.ranges[id];
      assert.strictEqual(r.rangeId, id);
      assert.deepStrictEqual(r.errors, []);
      assert.deepStrictEqual(r.nodes.map((n) => n.nodeId).sort(), [1, 2, 3], `range ${id}`);
      for (const n of r.nodes) {
        assert.strictEqual(n.range.sourceNodeId, n.nodeId);
        assert.strictEqual(n.range.state.state.desc.rangeId, id);
        assert.strictEqual(typeof n.range.problems.underreplicated, "boolean");
      }
      assert.strictEqual(r.nodes.filter((n) => n.range.raftState.state === "StateLeader").length, 1, `range ${id}`);
    }
    const only = await raft(sim, "?range_ids=2&range_ids=5");
    assert.deepStrictEqual(Object.keys(only.ranges).sort(), ["2", "5"]);
  });

  it("the gate sample reads it once (one fan-out, no per-node reads) and holds on the healthy cluster", async () => {
    const spec = parseSpec(inputsFor(sim, VERSION, "http://127.0.0.1:9"));
    reader = new ClusterReader(spec.sql, spec.nodes);
    const before = await readStatusCounters(sim.dir);
    const s = await sampleClusterGate(reader, spec.nodes);
    assert.strictEqual(s.ok, true, s.detail);
    assert.deepStrictEqual([s.underReplicated, s.unavailable], [0, 0]);
    assert.strictEqual((await readStatusCounters(sim.dir)).rangesServed - before.rangesServed, 3);
  });

  it("a node it cannot reach is an error naming it, not a gap; the gate sample fails on it", async () => {
    sim.killNode("n3", "SIGKILL");
    await sim.waitForExit("n3");
    const b = await raft(sim);
    assert.strictEqual(b.errors.length, 1, JSON.stringify(b.errors));
    // A fresh dial is refused; a pooled connection the kill cut is reset: both are the dial's error to n3.
    assert.match(b.errors[0].message, /^failed to get ranges from 3: .*(connection refused|ECONNREFUSED|ECONNRESET)/);
    assert.ok(Object.values(b.ranges).every((r) => r.nodes.every((n) => n.nodeId !== 3)));
    const spec = parseSpec(inputsFor(sim, VERSION, "http://127.0.0.1:9"));
    const s = await sampleClusterGate(reader!, spec.nodes);
    assert.strictEqual(s.ok, false);
    assert.match(s.detail, /n3: no raft state: failed to get ranges from 3/);
  });

  it("problems.underreplicated, counted once per range, sums to the ranges_underreplicated gauges of the live nodes", async () => {
    // After n3's liveness expires (9 s x 0.1), every range with a replica on it is under-replicated.
    const live = await waitFor("under-replication in /_status/raft", async () => {
      const b = await raft(sim);
      return flagged(b, "underreplicated") > 0 ? b : undefined;
    });
    const want = flagged(live, "underreplicated");
    assert.strictEqual(flagged(live, "unavailable"), 0);
    // The gauges refresh every 10 s x 0.1: wait until they show the same count.
    await waitFor("the gauges to agree", async () =>
      (await gaugeSum(sim, ["n1", "n2"], "ranges_underreplicated")) === want ? true : undefined,
    );
  });
});
