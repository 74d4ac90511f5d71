/**
 * judge-unhealthy.ts on a virtual clock, with the cluster's answers faked
 * (reader and node handles: pure logic, no cluster): a node down on the
 * target that no run touched is waited for up to deadlines.cluster, and the
 * judgement is made again on a fresh observation once it is back; a draining
 * one is not waited for; the cluster's memory is the evidence that makes a
 * node broken.
 */
import * as assert from "assert";
import type { ClusterReader } from "../../provider/cluster/reader";
import type { GossipRow } from "../../provider/cluster/gossip";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import type { NodeHandle } from "../../provider/node/handle";
import { judgeUnhealthy } from "../../provider/rollout/judge-unhealthy";
import { parseSpec } from "../../provider/spec/parse";
import { inputs, VirtualClock } from "./pure-fixtures";

const TO = "v23.1.12";
const spec = parseSpec(inputs(3, TO));

/** What the fake cluster says of n2 at virtual time t. */
type N2 = (t: number) => "up" | "stopped" | "draining";

function fakes(n2: N2, clock: VirtualClock, memory: Record<string, unknown>[] = []) {
  const state = (name: string) => (name === "n2" ? n2(clock.now()) : "up");
  const row = (name: string, i: number): GossipRow => ({
    nodeId: i + 1,
    address: `${spec.nodes[i].sqlAddr.host}:${spec.nodes[i].sqlAddr.port}`,
    sqlAddress: `${spec.nodes[i].sqlAddr.host}:${spec.nodes[i].sqlAddr.port}`,
    build: TO,
    locality: "",
    isAvailable: state(name) !== "stopped",
    isLive: state(name) !== "stopped",
    draining: state(name) === "draining",
    membership: "active",
  });
  const reader = {
    gossip: async () => spec.nodes.map((n, i) => row(n.name, i)),
    health: async (node: { name: string }) =>
      state(node.name) === "up"
        ? { reachable: true, status: 200, message: "" }
        : { reachable: state(node.name) === "draining", status: 503, message: "" },
    vars: async () => ({ build: TO }),
    rows: async () => memory,
  } as unknown as ClusterReader;
  const handles = spec.nodes.map((n) => ({
    spec: n,
    ops: { processState: async () => (state(n.name) === "stopped" ? "stopped" : "running") },
  })) as unknown as NodeHandle[];
  const observe = (): Observation => {
    const nodes: NodeObservation[] = spec.nodes.map((n, i) => {
      const s = state(n.name);
      const base = { name: n.name, nodeId: i + 1, build: TO, binaryBuild: TO, errors: [] };
      if (s === "stopped") return { ...base, build: undefined, process: "stopped", live: false, draining: false, ready: false };
      if (s === "draining") return { ...base, process: "draining", live: true, draining: true, ready: false, previousBuild: "v23.1.11" };
      return { ...base, process: "running", live: true, draining: false, ready: true };
    });
    return { cluster: { nodes, unlistedNodeIds: [] }, nodes, rows: [], unlisted: [] };
  };
  return { reader, handles, observe };
}

async function judge(n2: N2, memory?: Record<string, unknown>[]) {
  const clock = new VirtualClock();
  const f = fakes(n2, clock, memory);
  const notes: string[] = [];
  let reobserved = 0;
  const judged = await judgeUnhealthy({
    spec,
    reader: f.reader,
    handles: f.handles,
    obs: f.observe(),
    journaled: [],
    note: (m) => notes.push(m),
    reobserve: async () => {
      reobserved++;
      return f.observe();
    },
    clock,
  });
  return { judged, notes, reobserved, clock };
}

describe("judge unhealthy: a node down that no run touched is a peer, waited for", () => {
  it("stopped, back after 5 s (a restart by hand): waited for, judged again on a fresh look, nothing left to say", async () => {
    const r = await judge((t) => (t < 5_000 ? "stopped" : "up"));
    assert.deepStrictEqual(r.judged.broken, []);
    assert.deepStrictEqual(r.judged.unproven, []);
    assert.strictEqual(r.reobserved, 1);
    assert.ok(r.clock.now() >= 5_000 && r.clock.now() < spec.strategy.deadlines.clusterMs);
    assert.match(r.notes[0], /^n2 \(stopped\) on v23\.1\.12, and no run touched it: waiting up to 600s \(strategy\.deadlines\.cluster\)/);
    assert.strictEqual(r.notes.length, 1);
  });

  it("still stopped at deadlines.cluster: not rolled back, named as down for pre-flight to refuse", async () => {
    const r = await judge(() => "stopped");
    assert.deepStrictEqual(r.judged.broken, []);
    assert.deepStrictEqual(
      r.judged.unproven.map((n) => n.name),
      ["n2"],
    );
    assert.strictEqual(r.reobserved, 0);
    assert.ok(r.clock.now() <= spec.strategy.deadlines.clusterMs);
    assert.match(r.notes[1], /^n2 \(stopped\) on v23\.1\.12: no journal, rollout record or cluster memory/);
  });

  it("draining stays unready until restarted: not waited for", async () => {
    const r = await judge(() => "draining");
    assert.strictEqual(r.clock.now(), 0);
    assert.deepStrictEqual(
      r.judged.unproven.map((n) => n.name),
      ["n2"],
    );
    assert.match(r.notes[0], /^n2 \(draining\) on v23\.1\.12: no journal/);
  });

  it("the cluster's memory of an interrupted run to the target: broken, with that evidence, and no wait", async () => {
    const r = await judge(() => "stopped", [{ target: TO, phase: "bake n2", updated_at: "now" }]);
    assert.deepStrictEqual(r.judged.broken, [
      { name: "n2", evidence: `the cluster's memory (crdb_upgrade.rollout): a run to ${TO} stopped at "bake n2"` },
    ]);
    assert.strictEqual(r.clock.now(), 0);
    assert.deepStrictEqual(r.notes, []);
  });
});
