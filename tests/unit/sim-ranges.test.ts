/**
 * The simulator's replica placement and range counting (sim/fabric/ranges),
 * checked against CockroachDB's counting rules (reference §1): each range
 * counted once by its live leaseholder or first live replica,
 * under-replicated below the needed voters, unavailable without a quorum,
 * lagging replicas (catch-up window) not counting towards quorum.
 */
import * as assert from "assert";
import {
  NodeView,
  RangeDesc,
  balanceLeases,
  bootstrapRanges,
  countRanges,
  leasesHeldBy,
  leasesToShed,
  neededVoters,
  rebalanceReplicas,
  repairRanges,
  transferLeasesAway,
} from "../../sim/fabric/ranges";

function node(id: number, over: Partial<NodeView> = {}): NodeView {
  return {
    id,
    locality: "",
    live: true,
    draining: false,
    decommissioned: false,
    storeDead: false,
    caughtUp: true,
    stuckReplicas: false,
    ...over,
  };
}

/** A placed cluster: bootstrap on n1, then every node joins. */
function placed(nodes: NodeView[], count = 30): RangeDesc[] {
  const ranges = bootstrapRanges(count, nodes[0].id);
  repairRanges(ranges, nodes, 3);
  rebalanceReplicas(ranges, nodes);
  balanceLeases(ranges, nodes);
  return ranges;
}

function totals(ranges: RangeDesc[], nodes: NodeView[]): { under: number; unavailable: number; replicas: number } {
  let under = 0;
  let unavailable = 0;
  let replicas = 0;
  for (const c of countRanges(ranges, nodes, 3).values()) {
    under += c.underreplicated;
    unavailable += c.unavailable;
    replicas += c.replicas;
  }
  return { under, unavailable, replicas };
}

describe("sim/fabric/ranges", () => {
  it("needs three voters once the cluster has three nodes, and never an even number below the zone's count", () => {
    assert.deepStrictEqual(
      [1, 2, 3, 5, 9].map((n) => neededVoters(3, n)),
      [3, 3, 3, 3, 3],
    );
    assert.deepStrictEqual(
      [3, 4, 5, 7].map((n) => neededVoters(5, n)),
      [3, 3, 5, 5],
    );
  });

  it("places three replicas of every range on distinct nodes and spreads them evenly", () => {
    const nodes = [1, 2, 3, 4, 5].map((id) => node(id));
    const ranges = placed(nodes, 50);
    for (const r of ranges) assert.strictEqual(new Set(r.replicas).size, 3);
    const load = [1, 2, 3, 4, 5].map((id) => ranges.filter((r) => r.replicas.includes(id)).length);
    assert.ok(Math.max(...load) - Math.min(...load) <= 1, `uneven load ${load}`);
  });

  it("puts a range's replicas in different localities before doubling up in one", () => {
    const nodes = [
      node(1, { locality: "region=a,zone=1" }),
      node(2, { locality: "region=a,zone=1" }),
      node(3, { locality: "region=b,zone=1" }),
      node(4, { locality: "region=c,zone=1" }),
    ];
    const ranges = placed(nodes, 20);
    for (const r of ranges) {
      const localities = new Set(r.replicas.map((id) => nodes[id - 1].locality));
      assert.strictEqual(localities.size, 3, `range ${r.id} on ${r.replicas}`);
    }
  });

  it("spreads nodes that join one by one (9 in 3 zones) over every node, one replica of each range per zone", () => {
    const nodes = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => node(id, { locality: `region=r1,zone=${"abc"[(id - 1) % 3]}` }));
    const ranges = bootstrapRanges(64, 1);
    for (let k = 1; k <= nodes.length; k++) {
      const joined = nodes.slice(0, k);
      repairRanges(ranges, joined, 3);
      rebalanceReplicas(ranges, joined);
      balanceLeases(ranges, joined);
    }
    for (const r of ranges) {
      assert.deepStrictEqual(new Set(r.replicas.map((id) => nodes[id - 1].locality)).size, 3, `range ${r.id} on ${r.replicas}`);
    }
    const load = nodes.map((n) => ranges.filter((r) => r.replicas.includes(n.id)).length);
    assert.ok(Math.min(...load) >= 20 && Math.max(...load) <= 23, `every node holds its share: ${load}`);
  });

  it("leaves a stopped node's replicas where they are when another node joins", () => {
    const nodes = [1, 2, 3, 4].map((id) => node(id));
    const ranges = placed(nodes, 30);
    const onFour = ranges.filter((r) => r.replicas.includes(4)).length;
    const withFourDown = [node(1), node(2), node(3), node(4, { live: false })];
    rebalanceReplicas(ranges, withFourDown);
    assert.strictEqual(ranges.filter((r) => r.replicas.includes(4)).length, onFour);
  });

  it("counts nothing under-replicated or unavailable while every node is live", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    assert.deepStrictEqual(totals(placed(nodes), nodes), { under: 0, unavailable: 0, replicas: 90 });
  });

  it("counts every range once as under-replicated when one of three nodes is not live, on the live nodes only", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const after = [node(1), node(2, { live: false }), node(3)];
    const counts = countRanges(ranges, after, 3);
    assert.strictEqual(counts.get(2)?.underreplicated, 0);
    assert.strictEqual((counts.get(1)?.underreplicated ?? 0) + (counts.get(3)?.underreplicated ?? 0), 30);
    assert.strictEqual(totals(ranges, after).unavailable, 0);
  });

  it("counts a range unavailable when two of its three replicas are not live", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const after = [node(1), node(2, { live: false }), node(3, { live: false })];
    assert.deepStrictEqual(totals(ranges, after), { under: 30, unavailable: 30, replicas: 90 });
  });

  it("counts ranges shared with a node inside its catch-up window unavailable when another of their replicas goes down", () => {
    const nodes = [1, 2, 3, 4].map((id) => node(id));
    const ranges = placed(nodes, 40);
    const after = [node(1, { caughtUp: false }), node(2, { live: false }), node(3), node(4)];
    const shared = ranges.filter((r) => r.replicas.includes(1) && r.replicas.includes(2)).length;
    assert.ok(shared > 0);
    assert.strictEqual(totals(ranges, after).unavailable, shared);
    const caughtUp = [node(1), node(2, { live: false }), node(3), node(4)];
    assert.strictEqual(totals(ranges, caughtUp).unavailable, 0);
  });

  it("keeps ranges with a replica on a stuck node under-replicated although every node is live", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const after = [node(1), node(2), node(3, { stuckReplicas: true })];
    assert.strictEqual(totals(ranges, after).under, 30);
  });

  it("up-replicates away from a dead store when a spare node exists, and not in a three-node cluster", () => {
    const five = [1, 2, 3, 4, 5].map((id) => node(id));
    const ranges = placed(five, 40);
    const dead = five.map((n) => (n.id === 5 ? node(5, { live: false, storeDead: true }) : n));
    repairRanges(ranges, dead, 3);
    assert.ok(ranges.every((r) => !r.replicas.includes(5) && r.replicas.length === 3));
    assert.strictEqual(totals(ranges, dead).under, 0);
    const three = [1, 2, 3].map((id) => node(id));
    const small = placed(three);
    repairRanges(small, [node(1), node(2), node(3, { live: false, storeDead: true })], 3);
    assert.ok(small.every((r) => r.replicas.includes(3)));
  });

  it("moves every lease off a draining node to a live, non-draining replica", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const held = leasesHeldBy(ranges, 2);
    assert.ok(held > 0);
    const draining = [node(1), node(2, { draining: true }), node(3)];
    assert.strictEqual(transferLeasesAway(ranges, draining, 2), held);
    assert.strictEqual(leasesHeldBy(ranges, 2), 0);
  });

  it("does not count single-voter ranges as drain work: a one-node cluster drains to 0 remaining (store.go needsLeaseTransfer)", () => {
    const one = bootstrapRanges(64, 1);
    assert.strictEqual(leasesHeldBy(one, 1), 64);
    assert.strictEqual(leasesToShed(one, 1), 0);
    const three = placed([1, 2, 3].map((id) => node(id)));
    assert.strictEqual(leasesToShed(three, 2), leasesHeldBy(three, 2));
  });

  it("counts a single-voter range available while its node catches up (no leader to catch up from)", () => {
    const one = bootstrapRanges(8, 1);
    const c = countRanges(one, [node(1, { caughtUp: false })], 3).get(1);
    assert.strictEqual(c?.unavailable, 0);
    assert.strictEqual(c?.underreplicated, 8, "num_replicas 3 on one node: under-replicated (GetNeededVoters)");
  });

  it("keeps the leases of a live node whose lease transfers are stuck, even when rebalancing", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const held = leasesHeldBy(ranges, 3);
    const stuck = [node(1), node(2), node(3, { draining: true, stuckLeases: true })];
    assert.strictEqual(transferLeasesAway(ranges, stuck, 3), 0);
    balanceLeases(ranges, stuck);
    assert.strictEqual(leasesHeldBy(ranges, 3), held);
    balanceLeases(ranges, [node(1), node(2), node(3, { live: false, stuckLeases: true })]);
    assert.strictEqual(leasesHeldBy(ranges, 3), 0, "a dead node's leases move regardless");
  });

  it("cannot move leases when every other replica is draining", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    const all = [node(1, { draining: true }), node(2, { draining: true }), node(3, { draining: true })];
    const held = leasesHeldBy(ranges, 1);
    assert.strictEqual(transferLeasesAway(ranges, all, 1), 0);
    assert.strictEqual(leasesHeldBy(ranges, 1), held);
  });

  it("moves no lease to a node inside its catch-up window when balancing, and evens leases out once it has caught up", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    transferLeasesAway(ranges, [node(1), node(2), node(3, { draining: true })], 3);
    balanceLeases(ranges, [node(1), node(2), node(3, { caughtUp: false })]);
    assert.strictEqual(leasesHeldBy(ranges, 3), 0);
    balanceLeases(ranges, nodes);
    assert.ok(leasesHeldBy(ranges, 3) >= 9, `n3 holds ${leasesHeldBy(ranges, 3)} of 30 leases`);
  });
});

describe("sim/fabric/ranges: drain-timeout nodes", () => {
  it("still gives leases to a drain-timeout node inside its catch-up window, so a drain right after its restart has leases it cannot move", () => {
    const nodes = [1, 2, 3].map((id) => node(id));
    const ranges = placed(nodes);
    transferLeasesAway(ranges, [node(1), node(2), node(3, { draining: true })], 3);
    balanceLeases(ranges, [node(1), node(2), node(3, { caughtUp: false, stuckLeases: true })]);
    const held = leasesHeldBy(ranges, 3);
    assert.ok(held >= 9, `n3 holds ${held} leases`);
    assert.strictEqual(transferLeasesAway(ranges, [node(1), node(2), node(3, { draining: true, stuckLeases: true })], 3), 0);
    assert.strictEqual(leasesHeldBy(ranges, 3), held);
  });
});
