/**
 * The simulator's Raft log positions (sim/fabric/raft-log) against
 * CockroachDB's definitions: `raftlog.behind` is what each leader's followers
 * lag (calcBehindCount: commit - match, for 0 < match < commit), which under
 * write load is routinely above 0 and grows with load and follower count;
 * after a restart the node's replicas lag by what they missed, and that lag
 * decays over the catch-up window; `/_status/ranges` shows it per follower.
 */
import * as assert from "assert";
import { NodeView, RangeDesc, balanceLeases, bootstrapRanges, rebalanceReplicas, repairRanges } from "../../sim/fabric/ranges";
import { CatchUpView, ENTRIES_BEHIND_AFTER_RESTART, MAX_TRAIL, RaftLogs, catchUpRemaining } from "../../sim/fabric/raft-log";

function view(id: number, remaining = 0, over: Partial<CatchUpView> = {}): CatchUpView {
  const base: NodeView = {
    id,
    locality: "",
    live: true,
    draining: false,
    decommissioned: false,
    storeDead: false,
    caughtUp: remaining === 0,
    stuckReplicas: false,
  };
  return { ...base, catchUpRemaining: remaining, ...over };
}

function placed(nodes: CatchUpView[], count = 30): RangeDesc[] {
  const ranges = bootstrapRanges(count, nodes[0].id);
  repairRanges(ranges, nodes, 3);
  rebalanceReplicas(ranges, nodes);
  balanceLeases(ranges, nodes);
  return ranges;
}

/** A seeded generator, so that the noise is reproducible. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe("sim/fabric/raft-log", () => {
  const nodes = [view(1), view(2), view(3)];

  it("reports no entries behind on an idle cluster", () => {
    const ranges = placed(nodes);
    const raft = new RaftLogs(seeded(1));
    raft.advance(ranges, nodes, 1000);
    assert.strictEqual(sum(raft.behindByStore(ranges, nodes)), 0);
  });

  it("reports entries behind in steady state under write load, more with more load, bounded per follower", () => {
    const behindAt = (rows: number): number => {
      const ranges = placed(nodes);
      const raft = new RaftLogs(seeded(7));
      let total = 0;
      for (let t = 0; t < 20; t++) {
        raft.recordWrites(ranges, rows, t * 100);
        raft.advance(ranges, nodes, t * 100);
        total += sum(raft.behindByStore(ranges, nodes));
      }
      for (const r of ranges)
        for (const id of r.replicas) {
          const p = raft.progress(r, id)!;
          assert.strictEqual(p.state, "StateReplicate");
          assert.ok(raft.commitOf(r) - p.match <= MAX_TRAIL, `range ${r.id} follower n${id} trails by at most ${MAX_TRAIL}`);
        }
      return total;
    };
    const light = behindAt(5);
    const heavy = behindAt(60);
    assert.ok(light > 0, `light load: ${light}`);
    assert.ok(heavy > light, `heavy ${heavy} > light ${light}`);
  });

  it("grows with the follower count (each follower trails on its own)", () => {
    const five = [1, 2, 3, 4, 5].map((id) => view(id));
    const behind = (ns: CatchUpView[], rf: number): number => {
      const ranges = bootstrapRanges(30, 1);
      repairRanges(ranges, ns, rf);
      balanceLeases(ranges, ns);
      const raft = new RaftLogs(seeded(3));
      let total = 0;
      for (let t = 0; t < 20; t++) {
        raft.recordWrites(ranges, 60, t * 100);
        raft.advance(ranges, ns, t * 100);
        total += sum(raft.behindByStore(ranges, ns));
      }
      return total;
    };
    assert.ok(behind(five, 5) > behind(five, 3), "five replicas per range lag more in total than three");
  });

  it("keeps a down follower's match (StateProbe), then owes the backlog on restart and catches up over the window", () => {
    const ranges = placed(nodes);
    const raft = new RaftLogs(seeded(5));
    raft.advance(ranges, nodes, 0);
    const down = [view(1), view(2), view(3, 0, { live: false })];
    raft.recordWrites(ranges, 300, 100);
    raft.advance(ranges, down, 100);
    const n3 = ranges.filter((r) => r.replicas.includes(3) && r.leaseholder !== 3);
    assert.ok(n3.every((r) => raft.progress(r, 3)!.state === "StateProbe"));
    raft.rejoin(ranges, 3);
    const lags: number[] = [];
    for (const remaining of [1, 0.5, 0.1, 0.01, 0]) {
      raft.advance(ranges, [view(1), view(2), view(3, remaining)], 5000);
      const lag = Math.max(...n3.map((r) => raft.commitOf(r) - raft.progress(r, 3)!.match));
      lags.push(lag);
    }
    assert.ok(lags[0] >= ENTRIES_BEHIND_AFTER_RESTART, `starts at least ${ENTRIES_BEHIND_AFTER_RESTART} behind: ${lags.join(", ")}`);
    assert.ok(
      lags.every((v, i) => i === 0 || v < lags[i - 1]),
      `decays: ${lags.join(", ")}`,
    );
    assert.ok(lags[lags.length - 1] <= MAX_TRAIL, `back to the steady-state trail: ${lags.join(", ")}`);
    assert.ok(n3.every((r) => raft.progress(r, 3)!.state === "StateReplicate"));
  });

  it("counts a catching-up node's lag on the leaders' stores, not its own", () => {
    const ranges = placed(nodes);
    const raft = new RaftLogs(seeded(9));
    raft.advance(ranges, nodes, 0);
    raft.rejoin(ranges, 3);
    const catching = [view(1), view(2), view(3, 1)];
    raft.advance(ranges, catching, 10);
    const behind = raft.behindByStore(ranges, catching);
    const led = ranges.filter((r) => r.leaseholder !== 3 && r.replicas.includes(3)).length;
    assert.ok(behind.get(1)! + behind.get(2)! >= led * ENTRIES_BEHIND_AFTER_RESTART);
    assert.strictEqual(behind.get(3), 0, "n3's own followers are up to date");
  });

  it("computes the remaining fraction of a catch-up window", () => {
    assert.strictEqual(catchUpRemaining(1000, 4000, 3000), 1);
    assert.strictEqual(catchUpRemaining(2500, 4000, 3000), 0.5);
    assert.strictEqual(catchUpRemaining(4000, 4000, 3000), 0);
  });
});
