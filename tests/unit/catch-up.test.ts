/**
 * The catch-up judgement of the cluster gate (provider/cluster/catch-up.ts) on
 * `/_status/ranges` bodies in CockroachDB's gateway JSON: followers trailing
 * by what is in flight are caught up; a follower far behind, probing, paused
 * or waiting for a snapshot is not; anything missing is not healthy.
 */
import * as assert from "assert";
import type { ClusterReader } from "../../provider/cluster/reader";
import {
  MAX_ENTRIES_BEHIND,
  describeLagging,
  describeUnproven,
  judgeCatchUp,
  parseRangesResponse,
  sampleCatchUp,
} from "../../provider/cluster/catch-up";
import type { NodeSpec } from "../../provider/core/types";
import { body, raftBody, range } from "./raft-fixtures";

describe("provider/catch-up", () => {
  it("holds on a busy healthy cluster: followers trail by a few in-flight entries", () => {
    const reports = parseRangesResponse(
      body(
        range(1, 1, 1, 5000, [
          { node: 2, match: 4997 },
          { node: 3, match: 4990 },
        ]),
        range(1, 2, 1, 4997, []),
        range(1, 3, 1, 4990, []),
      ),
    );
    const v = judgeCatchUp(reports);
    assert.deepStrictEqual(v, { ok: true, lagging: [], missing: [] });
  });

  it("waits for a follower that is far behind, probing, paused or waiting for a snapshot, naming its node", () => {
    const c = 9000;
    const v = judgeCatchUp(
      parseRangesResponse(
        body(
          range(1, 1, 1, c, [
            { node: 2, match: c },
            { node: 3, match: c - MAX_ENTRIES_BEHIND - 1 },
          ]),
          range(2, 1, 1, c, [
            { node: 2, match: c },
            { node: 3, match: c, state: "StateProbe" },
          ]),
          range(3, 2, 2, c, [
            { node: 1, match: c },
            { node: 3, match: c, paused: true },
          ]),
          range(4, 2, 2, c, [
            { node: 1, match: c },
            { node: 3, match: c, state: "StateSnapshot", pendingSnapshot: "9100" },
          ]),
        ),
      ),
    );
    assert.strictEqual(v.ok, false);
    assert.deepStrictEqual(
      v.lagging.map((l) => [l.rangeId, l.nodeId]),
      [
        ["1", 3],
        ["2", 3],
        ["3", 3],
        ["4", 3],
      ],
    );
    assert.match(describeLagging(v.lagging), /^n3: 4 replicas, raft log behind 65 entries \(max\), 2 not streaming$/);
  });

  it("leaves learners and non-voters out: their lag cannot cost a quorum (a rebalancer's snapshot streams to a LEARNER)", () => {
    const r = range(5, 1, 1, 800, [
      { node: 2, match: 800 },
      { node: 3, match: 0, state: "StateSnapshot", pendingSnapshot: "800" },
    ]);
    const desc = (r.state as { state: { desc: { internalReplicas: { nodeId: number; type: number }[] } } }).state.desc;
    for (const type of [1, 5]) {
      desc.internalReplicas.find((x) => x.nodeId === 3)!.type = type;
      assert.strictEqual(judgeCatchUp(parseRangesResponse(body(r))).ok, true, `type ${type}`);
    }
    desc.internalReplicas.find((x) => x.nodeId === 3)!.type = 2;
    assert.strictEqual(judgeCatchUp(parseRangesResponse(body(r))).ok, false, "VOTER_INCOMING counts");
  });

  it("accepts exactly MAX_ENTRIES_BEHIND", () => {
    const v = judgeCatchUp(parseRangesResponse(body(range(1, 1, 1, 500, [{ node: 2, match: 500 - MAX_ENTRIES_BEHIND }]))));
    assert.strictEqual(v.ok, true);
  });

  it("is not healthy when a range has no leader in view, or the leader has no progress for a replica", () => {
    const noLeader = judgeCatchUp(parseRangesResponse(body(range(7, 2, 1, 100, []))));
    assert.strictEqual(noLeader.ok, false);
    assert.strictEqual(describeUnproven(noLeader.missing), "r7: no Raft leader in view");
    const r = range(8, 1, 1, 100, [{ node: 2, match: 100 }]);
    delete ((r.raftState as Record<string, unknown>).progress as Record<string, unknown>)["2"];
    const noProgress = judgeCatchUp(parseRangesResponse(body(r)));
    assert.strictEqual(noProgress.ok, false);
    assert.strictEqual(describeUnproven(noProgress.missing), "r8/n2: no leader progress for the replica");
  });

  it("waits while a leader pauses replication to an I/O-overloaded follower (problems.pausedFollowers)", () => {
    const r = { ...range(9, 1, 1, 100, [{ node: 2, match: 100 }]), problems: { pausedFollowers: true } };
    const v = judgeCatchUp(parseRangesResponse(body(r)));
    assert.strictEqual(v.ok, false);
    assert.strictEqual(describeUnproven(v.missing), "r9: replication paused to an I/O-overloaded follower");
  });

  it("refuses a body without ranges or without raft state, naming what is missing", () => {
    assert.throws(() => parseRangesResponse({}), /no `ranges`/);
    assert.throws(() => parseRangesResponse({ ranges: [{ state: {} }] }), /range entry 0 lacks raftState\.state/);
  });

  it("a follower's entry is checked as a leader's is, and only the leader's view is kept", () => {
    const follower = range(1, 2, 1, 90, []);
    const withoutDesc = { ...follower, state: { state: {} } };
    const withoutCommit = { ...follower, raftState: { ...(follower.raftState as object), hardState: {} } };
    assert.throws(() => parseRangesResponse(body(withoutDesc)), /range entry 0 lacks .*state\.state\.desc/);
    assert.throws(() => parseRangesResponse(body(range(1, 1, 1, 100, []), withoutCommit)), /range entry 1 lacks/);
    const [l, f] = parseRangesResponse(body(range(1, 1, 1, 100, [{ node: 2, match: 90 }]), range(1, 2, 1, 90, [])));
    assert.deepStrictEqual([...l.replicas.values()], [1, 2]);
    assert.deepStrictEqual([...l.progress.keys()], ["1", "2"]);
    assert.strictEqual(f.replicas.size + f.progress.size, 0);
    assert.strictEqual(f.commit, 90);
  });

  describe("sampleCatchUp: one /_status/raft read; a failed read is confirmed by a second one", function () {
    this.timeout(10_000);
    const nodes = [{ name: "a" }, { name: "b" }] as unknown as NodeSpec[];
    /** A reader whose /_status/raft answers come from `reads[call]`; counts the calls. */
    function reader(reads: readonly (unknown | Error)[]): ClusterReader & { calls: number } {
      const r = {
        calls: 0,
        raftDebug: async () => {
          const a = reads[Math.min(r.calls++, reads.length - 1)];
          if (a instanceof Error) throw a;
          return a;
        },
      };
      return r as unknown as ClusterReader & { calls: number };
    }
    const leader = range(1, 1, 1, 100, [{ node: 2, match: 99 }]);
    const follower = range(1, 2, 1, 99, []);

    it("passes on one request when everything is caught up, whatever the node count", async () => {
      const r = reader([raftBody([leader, follower])]);
      const v = await sampleCatchUp(r, nodes);
      assert.deepStrictEqual([v.ok, v.lagging, v.missing, r.calls], [true, [], [], 1]);
    });

    it("passes when what looked wrong (a range with no leader in view) is gone on the second read", async () => {
      const r = reader([raftBody([follower]), raftBody([leader, follower])]);
      const v = await sampleCatchUp(r, nodes);
      assert.deepStrictEqual([v.ok, v.lagging, v.missing, r.calls], [true, [], [], 2]);
    });

    it("fails when a replica lags in both reads, or the cluster cannot be read on the second", async () => {
      const lag = raftBody([range(1, 1, 1, 5000, [{ node: 2, match: 10 }]), follower]);
      const v = await sampleCatchUp(reader([lag]), nodes);
      assert.deepStrictEqual(
        v.lagging.map((l) => [l.rangeId, l.nodeId, l.behind]),
        [["1", 2, 4990]],
      );
      const w = await sampleCatchUp(reader([lag, new Error("HTTP 401")]), nodes);
      assert.strictEqual(w.ok, false);
      assert.strictEqual(describeUnproven(w.missing), "cluster: no raft state: HTTP 401");
    });

    it("a node the fan-out could not reach is unproven in both reads, named by its node ID", async () => {
      const down = raftBody([leader, follower], ["failed to get ranges from 3: connection refused"]);
      const v = await sampleCatchUp(reader([down]), nodes);
      assert.strictEqual(v.ok, false);
      assert.strictEqual(describeUnproven(v.missing), "n3: no raft state: failed to get ranges from 3: connection refused");
    });

    it("an answer without any range is unproven, never healthy", async () => {
      const v = await sampleCatchUp(reader([raftBody([])]), nodes);
      assert.strictEqual(v.ok, false);
      assert.strictEqual(describeUnproven(v.missing), "cluster: no raft state: no node reported any range");
    });
  });
});
