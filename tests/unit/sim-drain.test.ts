/**
 * The simulator's drain honours CockroachDB's drain settings as
 * pkg/server/drain.go does (sim/node/drain.ts), each scaled by the time
 * scale like every other wait: unready for initial_wait, then new sessions
 * refused and clients awaited up to connections.timeout, then the SQL and
 * the DistSQL drain each up to transactions.timeout — phases that end as
 * soon as there is nothing left to wait for. The provider's first-roll
 * estimate (plan/estimate-figures.ts) rests on exactly this.
 */
import * as assert from "assert";
import { CrdbLog } from "../../sim/common/crdb-log";
import { makeTiming } from "../../sim/common/timing";
import { Drainer, type DrainTarget } from "../../sim/node/drain";

interface Marks {
  unready?: number;
  refused?: number;
  closed?: number;
}

/** A node whose drain settings are `settings` (pre-v23.2 names, as the drain reads them) and whose clients never leave when `stuck`. */
function target(settings: Record<string, string>, stuck: { sessions?: number; queries?: number } = {}): { t: DrainTarget; marks: Marks } {
  const marks: Marks = {};
  const t: DrainTarget = {
    log: new CrdbLog(undefined),
    timing: makeTiming({ timeScale: 0.1 }),
    stuckLeases: false,
    markUnready: () => (marks.unready = Date.now()),
    refuseNewSessions: () => (marks.refused = Date.now()),
    openSqlSessions: () => stuck.sessions ?? 0,
    queriesInFlight: () => stuck.queries ?? 0,
    closeSqlSessions: () => (marks.closed = Date.now()),
    setting: (name) => Promise.resolve(settings[name] ?? "0s"),
    transferLeases: () => Promise.resolve(0),
  };
  return { t, marks };
}

describe("sim: drain honours the server.shutdown settings, scaled", () => {
  it("stays unready for initial_wait before refusing new sessions (2s at scale 0.1: 200 ms)", async () => {
    const { t, marks } = target({ "server.shutdown.drain_wait": "2s" });
    assert.strictEqual(await new Drainer(t).step(false), 0);
    assert.ok(
      (marks.refused as number) - (marks.unready as number) >= 195,
      `refused ${(marks.refused as number) - (marks.unready as number)} ms after unready`,
    );
  });

  it("waits for clients up to connections.timeout, and not at all when none is connected", async () => {
    const held = target({ "server.shutdown.connection_wait": "3s" }, { sessions: 1 });
    await new Drainer(held.t).step(false);
    assert.ok((held.marks.closed as number) - (held.marks.refused as number) >= 295);
    // An hour's timeout (6 min here) would outlast the test: with no client the phase ends at once.
    const idle = target({ "server.shutdown.connection_wait": "1h" });
    await new Drainer(idle.t).step(false);
    assert.ok(idle.marks.closed !== undefined);
  });

  it("waits for queries in flight up to transactions.timeout, twice (the SQL drain, then the DistSQL drain)", async () => {
    const busy = target({ "server.shutdown.query_wait": "2s" }, { queries: 1 });
    await new Drainer(busy.t).step(false);
    assert.ok((busy.marks.closed as number) - (busy.marks.refused as number) >= 395);
    const idle = target({ "server.shutdown.query_wait": "1h" });
    await new Drainer(idle.t).step(false);
    assert.ok(idle.marks.closed !== undefined);
  });
});
