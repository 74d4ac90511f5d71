/**
 * The cluster-wide read of the gate (provider/cluster/raft-debug.ts) on
 * `/_status/raft` bodies in CockroachDB's gateway JSON (`RaftDebugResponse`):
 * every node's replicas merged per range; the fan-out's errors name the node
 * that could not be asked; range health is the `problems` flags summed over
 * every replica, unknown (never 0) when a replica lacks them.
 */
import * as assert from "assert";
import { judgeRangeHealth, parseRaftDebug } from "../../provider/cluster/raft-debug";
import { NO_PROBLEMS, raftBody, range } from "./raft-fixtures";

describe("provider/raft-debug", () => {
  const leader = (problems = NO_PROBLEMS) =>
    range(
      1,
      1,
      1,
      100,
      [
        { node: 2, match: 90 },
        { node: 3, match: 100 },
      ],
      problems,
    );

  it("flattens the ranges map into one report per replica, and names unreachable nodes by ID", () => {
    const c = parseRaftDebug(
      raftBody([leader(), range(1, 2, 1, 90, []), range(2, 3, 3, 7, [])], ["failed to get ranges from 4: connection refused", "odd"]),
    );
    assert.deepStrictEqual(
      c.reports.map((r) => [r.rangeId, r.leader]),
      [
        ["1", true],
        ["1", false],
        ["2", true],
      ],
    );
    assert.deepStrictEqual(c.unreachable, [
      { key: "n4", text: "no raft state: failed to get ranges from 4: connection refused" },
      { key: "cluster", text: "no raft state: odd" },
    ]);
  });

  it("refuses a body that is not a RaftDebugResponse, naming what is missing", () => {
    assert.throws(() => parseRaftDebug({ ranges: [] }), /no `ranges` in the \/_status\/raft answer/);
    assert.throws(() => parseRaftDebug(null), /no `ranges`/);
    assert.throws(() => parseRaftDebug({ ranges: { "1": { rangeId: "1" } } }), /has no `nodes`/);
  });

  it("range health: the counting replicas' flags summed; the followers' lag for information", () => {
    const h = judgeRangeHealth(
      parseRaftDebug(
        raftBody([
          leader({ ...NO_PROBLEMS, underreplicated: true }),
          range(1, 2, 1, 90, []),
          range(2, 3, 3, 7, [], { ...NO_PROBLEMS, unavailable: true }),
        ]),
      ).reports,
    );
    assert.deepStrictEqual(h, { underReplicated: 1, unavailable: 1, raftLogBehind: 10 });
  });

  it("range health is unknown, never 0, without any replica or when one lacks the flags", () => {
    assert.deepStrictEqual(judgeRangeHealth([]), { raftLogBehind: 0 });
    const noFlags = parseRaftDebug(raftBody([leader(), range(1, 2, 1, 90, [], {})])).reports;
    assert.strictEqual(judgeRangeHealth(noFlags).underReplicated, undefined);
    assert.strictEqual(judgeRangeHealth(noFlags).unavailable, undefined);
  });
});
