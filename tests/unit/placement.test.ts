/**
 * The locality proof (provider/placement): from ranges and the nodes holding
 * their voters, whether a set of nodes — a whole locality, or one batch —
 * may be down at once with every range keeping a majority of live voters,
 * counting nodes that are already not live. Checked case by case, against
 * the simulator's own range counting on random placements, and through the
 * plan and the preview that use it.
 */
import * as assert from "assert";
import {
  judgeDown,
  judgeLocalities,
  placementNodes,
  type Placement,
  type PlacementNode,
  type RangeVoters,
} from "../../provider/cluster/placement";
import { oneAtATime, planRollout, renderPlan } from "../../provider/plan/plan";
import { diffResource } from "../../provider/plan/diff";
import { parseSpec } from "../../provider/spec/parse";
import type { GossipRow } from "../../provider/cluster/reader";
import type { ClusterVersionOutputs, NodeStatus, Spec } from "../../provider/core/types";
import { countRanges, repairRanges, bootstrapRanges, type NodeView } from "../../sim/fabric/ranges";
import { inputs, nodeInput, observedAll, seeded } from "./pure-fixtures";

/** Nodes 1..n with localities by index: zones[i-1]. */
function nodes(zones: readonly string[], down: readonly number[] = []): PlacementNode[] {
  return zones.map((z, i) => ({ nodeId: i + 1, locality: z, up: !down.includes(i + 1), label: `n${i + 1}`, listed: true }));
}

function ranges(...voters: (readonly (number | undefined)[])[]): RangeVoters[] {
  return voters.map((v, i) => ({ rangeId: i + 1, voterNodes: v }));
}

function verdictOf(p: Placement, locality: string): { safe: boolean; reason: string } {
  const v = judgeLocalities(p).localities.find((x) => x.locality === locality);
  assert.ok(v, `no verdict for ${locality}`);
  return v;
}

/** 9 nodes, zones a,b,c repeating; each range one voter per zone (the diversity CockroachDB's allocator aims for). */
const NINE = nodes(["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
const NINE_RANGES = ranges([1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 5, 9], [4, 8, 3], [7, 2, 6]);

describe("provider/placement", () => {
  describe("judgeLocalities", () => {
    it("proves every locality safe with RF=3 over 3 zones (each zone holds at most 1 voter of every range)", () => {
      const v = judgeLocalities({ ranges: NINE_RANGES, nodes: NINE });
      assert.strictEqual(v.safe, true);
      assert.deepStrictEqual(
        v.localities.map((l) => [l.locality, l.safe]),
        [
          ["a", true],
          ["b", true],
          ["c", true],
        ],
      );
      assert.match(v.localities[0].reason, /all 6 ranges keep a majority of live voters with a down/);
      assert.match(v.reason, /any one locality down \(a; b; c\)/);
    });

    it("refuses RF=3 over 2 zones: the zone holding 2 voters of a range is unsafe, and the reason names the range and nodes", () => {
      const p = { ranges: ranges([1, 2, 3], [2, 3, 4]), nodes: nodes(["a", "b", "a", "b"]) };
      const v = judgeLocalities(p);
      assert.strictEqual(v.safe, false);
      assert.deepStrictEqual(verdictOf(p, "a"), {
        locality: "a",
        safe: false,
        reason: "1 of 2 ranges would lose quorum with a down: range 1: 2 of its 3 voters among them (n1, n3)",
      });
      assert.strictEqual(verdictOf(p, "b").safe, false);
      assert.match(verdictOf(p, "b").reason, /range 2: 2 of its 3 voters among them \(n2, n4\)/);
      assert.match(v.reason, /with a down: .* \| .*with b down/);
    });

    it("allows a zone holding 2 of 5 voters (3 stay up) but not one holding 3 of 5", () => {
      const p = { ranges: ranges([1, 2, 3, 4, 5], [1, 4, 2, 5, 6]), nodes: nodes(["a", "b", "c", "a", "b", "a"]) };
      assert.strictEqual(verdictOf(p, "b").safe, true, "b holds 2 of 5 in both ranges");
      assert.strictEqual(verdictOf(p, "c").safe, true);
      const a = verdictOf(p, "a");
      assert.strictEqual(a.safe, false, "a holds n1, n4, n6: 3 of range 2's 5 voters");
      assert.match(a.reason, /^1 of 2 ranges .* range 2: 3 of its 5 voters among them \(n1, n4, n6\)$/);
    });

    it("counts a voter on a node that is not live against the quorum (3 zones, a node in zone c down)", () => {
      const p = { ranges: NINE_RANGES, nodes: nodes(["a", "b", "c", "a", "b", "c", "a", "b", "c"], [9]) };
      const a = verdictOf(p, "a");
      assert.strictEqual(a.safe, false);
      assert.match(
        a.reason,
        /2 of 6 ranges would lose quorum with a down: range 3: 1 of its 3 voters among them \(n7\), 1 on a node not live \(n9\); range 4: .*\(n1\), 1 on a node not live \(n9\)$/,
      );
      assert.strictEqual(verdictOf(p, "c").safe, true, "the zone of the dead node itself: its ranges keep a and b");
    });

    it("judges uneven zones per zone: the big zone holding 2 voters of a range is unsafe, the small ones stay safe", () => {
      // zone a: n1, n2, n3, n4; b: n5; c: n6. Range 3 has two voters in a.
      const p = { ranges: ranges([1, 5, 6], [2, 5, 6], [3, 4, 5], [4, 5, 6]), nodes: nodes(["a", "a", "a", "a", "b", "c"]) };
      assert.deepStrictEqual(
        judgeLocalities(p).localities.map((l) => [l.locality, l.safe]),
        [
          ["a", false],
          ["b", true],
          ["c", true],
        ],
      );
      assert.strictEqual(
        verdictOf(p, "a").reason,
        "1 of 4 ranges would lose quorum with a down: range 3: 2 of its 3 voters among them (n3, n4)",
      );
    });

    it("refuses to prove anything without ranges", () => {
      const v = judgeLocalities({ ranges: [], nodes: NINE });
      assert.strictEqual(v.safe, false);
      assert.match(v.localities[0].reason, /listed no ranges/);
    });
  });

  describe("judgeDown (one batch)", () => {
    it("allows exactly a subset of a zone whose whole is unsafe when the subset leaves every majority", () => {
      const p = { ranges: ranges([1, 3, 2], [1, 2, 4]), nodes: nodes(["a", "b", "a", "b"]) };
      assert.strictEqual(judgeDown(p, [1, 3], "n1, n3").safe, false);
      assert.strictEqual(judgeDown(p, [1], "n1").safe, true);
      assert.strictEqual(judgeDown(p, [3], "n3").safe, true);
    });

    it("counts a voter whose store maps to no node as down", () => {
      const p = { ranges: ranges([1, 2, undefined]), nodes: nodes(["a", "b", "c"]) };
      const v = judgeDown(p, [1], "n1");
      assert.strictEqual(v.safe, false);
      assert.match(v.reason, /range 1: 1 of its 3 voters among them \(n1\), 1 on a node not live \(an unknown store\)/);
    });

    it("names three ranges and counts the rest", () => {
      const p = { ranges: ranges([1, 2], [1, 2], [1, 2], [1, 2], [1, 2]), nodes: nodes(["a", "b"]) };
      assert.match(
        judgeDown(p, [1], "n1").reason,
        /^5 of 5 ranges would lose quorum with n1 down: range 1: .*; range 2: .*; range 3: .*; and 2 more$/,
      );
    });

    it("says a range with no voters cannot be available", () => {
      assert.match(judgeDown({ ranges: ranges([]), nodes: NINE }, [1], "n1").reason, /range 1: no voters listed/);
    });

    it("agrees with the simulator's own unavailability count on random placements (seeded)", () => {
      const rand = seeded(8);
      for (let iter = 0; iter < 200; iter++) {
        const n = 3 + rand(8);
        const zones = Array.from({ length: n }, () => `z${rand(1 + rand(4))}`);
        const dead = Array.from({ length: n }, (_, i) => i + 1).filter(() => rand(8) === 0);
        const views: NodeView[] = zones.map((z, i) => ({
          id: i + 1,
          locality: z,
          live: true,
          draining: false,
          decommissioned: false,
          storeDead: false,
          caughtUp: true,
          stuckReplicas: false,
        }));
        const sim = bootstrapRanges(20, 1);
        repairRanges(sim, views, rand(2) === 0 ? 3 : 5);
        const p: Placement = { ranges: sim.map((r) => ({ rangeId: r.id, voterNodes: r.replicas })), nodes: nodes(zones, dead) };
        const batch = Array.from({ length: n }, (_, i) => i + 1).filter(() => rand(3) === 0);
        const down = new Set([...batch, ...dead]);
        const counts = countRanges(
          sim,
          views.map((v) => ({ ...v, live: !down.has(v.id) })),
          3,
        );
        const simUnavailable = [...counts.values()].reduce((a, c) => a + c.unavailable, 0);
        const noLiveReplica = sim.filter((r) => r.replicas.every((id) => down.has(id))).length;
        const v = judgeDown(p, batch, "the batch");
        assert.strictEqual(v.safe, simUnavailable + noLiveReplica === 0, `iteration ${iter}: ${v.reason}`);
      }
    });
  });

  describe("placementNodes", () => {
    it("names listed nodes by the spec and groups them by the spec's locality; unlisted ones by the cluster's", () => {
      const spec = parseSpec(inputs(2, "v23.1.12"));
      const row = (id: number, host: string, extra: Partial<GossipRow> = {}): GossipRow => ({
        nodeId: id,
        address: `${host}:26257`,
        sqlAddress: `${host}:26257`,
        build: "v23.1.11",
        locality: "region=r9",
        isAvailable: true,
        isLive: true,
        draining: false,
        membership: "active",
        ...extra,
      });
      const out = placementNodes(spec.nodes, [
        row(7, "10.0.0.2"),
        row(8, "10.0.0.3", { draining: true }),
        row(9, "10.0.0.99", { isLive: false }),
      ]);
      assert.deepStrictEqual(out, [
        { nodeId: 7, locality: "region=r1,zone=a", up: true, label: "n1", listed: true },
        { nodeId: 8, locality: "region=r1,zone=b", up: false, label: "n2", listed: true },
        { nodeId: 9, locality: "region=r9", up: false, label: "node 9", listed: false },
      ]);
    });
  });

  describe("in the plan and the preview", () => {
    const nine = (): Spec => parseSpec(inputs(9, "v23.1.12", { strategy: { batch: "locality", maxUnavailable: 3 } }));

    it("batches the localities proven safe and rolls the others one node at a time, saying why", () => {
      const spec = nine();
      const plan = planRollout(
        spec,
        observedAll(spec, "v23.1.11", {
          localitySafe: false,
          localityVerdicts: [
            { locality: "region=r1,zone=a", safe: true, reason: "ok" },
            { locality: "region=r1,zone=b", safe: false, reason: "range 42: 2 of its 3 voters among them (n2, n5)" },
            { locality: "region=r1,zone=c", safe: true, reason: "ok" },
          ],
        }),
      );
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes),
        [["n1", "n4", "n7"], ["n2"], ["n5"], ["n8"], ["n3", "n6", "n9"]],
      );
      assert.deepStrictEqual(plan.notes, [
        "locality region=r1,zone=b rolls one node at a time: range 42: 2 of its 3 voters among them (n2, n5)",
      ]);
    });

    it("falls back entirely, with the verdicts' reasons, when no locality is proven", () => {
      const spec = nine();
      const bad = (z: string) => ({ locality: `region=r1,zone=${z}`, safe: false, reason: `zone ${z} holds 2 voters of range 1` });
      const plan = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: false, localityVerdicts: ["a", "b", "c"].map(bad) }));
      assert.ok(plan.batches.every((b) => b.nodes.length === 1));
      assert.match(
        plan.notes[0],
        /^locality batching fell back to one node at a time: zone a holds 2 voters of range 1 \| zone b .* \| zone c/,
      );
    });

    it("previews the locality batches, each to be proven before it starts (diff has no I/O)", () => {
      const base = inputs(9, "v23.1.11", { strategy: { batch: "locality", maxUnavailable: 3 } });
      const statuses: NodeStatus[] = base.nodes.map((n, i) => ({ name: n.name, nodeId: i + 1, version: base.version, state: "running" }));
      const olds: ClusterVersionOutputs = { ...base, nodeStatuses: statuses, clusterVersion: "23.1", finalized: true, history: [] };
      const d = diffResource(olds, { ...base, version: "v23.1.12" });
      assert.strictEqual(d.lines[0], "crdb-upgrade: v23.1.11 -> v23.1.12 (patch), 9 node(s), in 3 batches by locality");
      assert.match(d.lines[1], /^ {2}1\. n1, n4, n7 \[region=r1,zone=a\] \(canary\) +drain -> stop/);
      assert.match(d.lines[2], /^ {2}2\. n2, n5, n8 \[region=r1,zone=b\]/);
      assert.match(d.lines[3], /^ {2}3\. n3, n6, n9 \[region=r1,zone=c\]/);
      assert.match(
        d.lines.join("\n"),
        /note: locality batches: each is proven from replica placement right before it starts; one that cannot be proven rolls one node at a time/,
      );
    });

    it("splits a batch into single nodes with only the first keeping a canary's bake", () => {
      const spec = nine();
      const [first] = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true })).batches;
      assert.deepStrictEqual(oneAtATime(first, 60_000), [
        { nodes: ["n1"], bakeMs: 120_000, canary: true, locality: "region=r1,zone=a" },
        { nodes: ["n4"], bakeMs: 60_000, canary: false, locality: "region=r1,zone=a" },
        { nodes: ["n7"], bakeMs: 60_000, canary: false, locality: "region=r1,zone=a" },
      ]);
      assert.match(
        renderPlan(planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true })), spec)[0],
        /in 3 batches by locality/,
      );
    });

    it("keeps the nodes of one locality together even when strategy.order interleaves them", () => {
      const order = ["n5", "n1", "n9", "n2", "n4", "n3", "n8", "n7", "n6"];
      const spec = parseSpec(
        inputs(9, "v23.1.12", { nodes: order.map((_, i) => nodeInput(i + 1)), strategy: { batch: "locality", maxUnavailable: 3, order } }),
      );
      const plan = planRollout(spec, observedAll(spec, "v23.1.11", { localitySafe: true }));
      assert.deepStrictEqual(
        plan.batches.map((b) => b.nodes),
        [
          ["n5", "n2", "n8"],
          ["n1", "n4", "n7"],
          ["n9", "n3", "n6"],
        ],
      );
    });
  });
});
