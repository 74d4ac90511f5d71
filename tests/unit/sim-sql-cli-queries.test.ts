/**
 * The queries `cockroach node status` and `cockroach node ls` send (CR
 * pkg/cli/node.go, copied verbatim including whitespace) run on the
 * simulator's engine over crdb_internal fixtures, with the right columns and
 * values: is_available from the liveness expiration against the cluster
 * clock, range counters summed per node, the active-node filter, WHERE id = $1.
 */
import * as assert from "assert";
import { toPgText } from "../../sim/pgwire/text-format";
import { PgSession, QueryResult } from "../../sim/pgwire/types";
import { MemoryTableStore, SqlEngine } from "../../sim/sql";
import { FakeCluster, FakeNode } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "system", remoteAddress: "127.0.0.1:1" };

// --- verbatim from pkg/cli/node.go -------------------------------------------------
const LS_QUERY = `SELECT node_id FROM crdb_internal.gossip_liveness
               WHERE membership = 'active' OR split_part(expiration,',',1)::decimal > now()::decimal`;

const ACTIVE_NODES_FILTER = " WHERE membership = 'active' OR split_part(expiration,',',1)::decimal > now()::decimal";

const BASE_QUERY = `SELECT node_id AS id,
            address,
            sql_address,
            build_tag AS build,
            started_at,
\t\t\tupdated_at,
\t\t\tlocality,
            CASE WHEN split_part(expiration,',',1)::decimal > now()::decimal
                 THEN true
                 ELSE false
                 END AS is_available,
\t\t\tifnull(is_live, false)
     FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)`;

const RANGES_QUERY = `
SELECT node_id AS id,
       sum((metrics->>'replicas.leaders')::DECIMAL)::INT AS replicas_leaders,
       sum((metrics->>'replicas.leaseholders')::DECIMAL)::INT AS replicas_leaseholders,
       sum((metrics->>'replicas')::DECIMAL)::INT AS ranges,
       sum((metrics->>'ranges.unavailable')::DECIMAL)::INT AS ranges_unavailable,
       sum((metrics->>'ranges.underreplicated')::DECIMAL)::INT AS ranges_underreplicated
FROM crdb_internal.kv_store_status
GROUP BY node_id`;

const STATS_QUERY = `
SELECT node_id AS id,
       sum((metrics->>'livebytes')::DECIMAL)::INT AS live_bytes,
       sum((metrics->>'keybytes')::DECIMAL)::INT AS key_bytes,
       sum((metrics->>'valbytes')::DECIMAL)::INT AS value_bytes,
       sum((metrics->>'intentbytes')::DECIMAL)::INT AS intent_bytes,
       sum((metrics->>'sysbytes')::DECIMAL)::INT AS system_bytes
FROM crdb_internal.kv_store_status
GROUP BY node_id`;

const DECOMMISSION_QUERY = `
SELECT node_id AS id,
       ranges AS gossiped_replicas,
       membership != 'active' as is_decommissioning,
       membership AS membership,
       draining AS is_draining
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)`;

/** joinUsingID + the outer SELECT, as runStatusNodeInner assembles them. */
function statusQuery(parts: string[]): string {
  let query = "";
  parts.forEach((q, i) => (query = i === 0 ? q : "(" + query + ") LEFT JOIN (" + q + ") USING (id)"));
  return "SELECT * FROM (" + query + ")";
}
// ------------------------------------------------------------------------------------

const NODES: FakeNode[] = [
  {
    id: 1,
    address: "127.0.10.1:26257",
    buildTag: "v23.1.11",
    livenessTtlSeconds: 4.5,
    isLive: true,
    locality: "region=a",
    ranges: 20,
    metrics: {
      "replicas.leaders": 7,
      "replicas.leaseholders": 7,
      replicas: 20,
      "ranges.unavailable": 0,
      "ranges.underreplicated": 2,
      livebytes: 1000,
      keybytes: 10,
      valbytes: 990,
      intentbytes: 0,
      sysbytes: 5,
    },
  },
  {
    id: 2,
    address: "127.0.10.2:26257",
    buildTag: "v23.1.12",
    livenessTtlSeconds: 4.5,
    isLive: true,
    draining: true,
    ranges: 20,
    metrics: { "replicas.leaders": 6.6, "replicas.leaseholders": 6, replicas: 20 },
  },
  { id: 3, address: "127.0.10.3:26257", buildTag: "v23.1.11", livenessTtlSeconds: -30, isLive: false, ranges: 19 },
  { id: 4, address: "127.0.10.4:26257", buildTag: "v23.1.11", livenessTtlSeconds: -600, isLive: false, membership: "decommissioned" },
];

async function run(sql: string, params: unknown[] = []): Promise<{ result: QueryResult; text: (string | null)[][] }> {
  const engine = new SqlEngine(new FakeCluster(NODES), new MemoryTableStore());
  const [result] = await engine.execute(sql, params, session);
  return { result, text: result.rows.map((r) => r.map((v, i) => toPgText(v, result.columns[i].type))) };
}

function column(res: { result: QueryResult; text: (string | null)[][] }, name: string): (string | null)[] {
  const i = res.result.columns.findIndex((c) => c.name === name);
  assert.ok(i >= 0, `no column ${name} in ${res.result.columns.map((c) => c.name).join(",")}`);
  return res.text.map((r) => r[i]);
}

const BASE_COLUMNS = ["id", "address", "sql_address", "build", "started_at", "updated_at", "locality", "is_available", "ifnull"];

describe("sim/sql: cockroach node status queries", () => {
  it("node ls lists active nodes and nodes with unexpired liveness", async () => {
    const res = await run(LS_QUERY);
    assert.deepStrictEqual(
      res.result.columns.map((c) => c.name),
      ["node_id"],
    );
    assert.deepStrictEqual(
      res.text.map((r) => r[0]),
      ["1", "2", "3"],
    );
  });

  it("node status returns the base columns, ordered by id, without decommissioned dead nodes", async () => {
    const res = await run(statusQuery([BASE_QUERY + ACTIVE_NODES_FILTER]) + " ORDER BY id");
    assert.deepStrictEqual(
      res.result.columns.map((c) => c.name),
      BASE_COLUMNS,
    );
    assert.deepStrictEqual(
      res.result.columns.map((c) => c.type),
      ["int8", "text", "text", "text", "timestamp", "timestamp", "text", "bool", "bool"],
    );
    assert.deepStrictEqual(column(res, "id"), ["1", "2", "3"]);
    assert.deepStrictEqual(column(res, "build"), ["v23.1.11", "v23.1.12", "v23.1.11"]);
    assert.deepStrictEqual(column(res, "sql_address"), ["127.0.10.1:26257", "127.0.10.2:26257", "127.0.10.3:26257"]);
    assert.deepStrictEqual(column(res, "locality"), ["region=a", "", ""]);
    assert.deepStrictEqual(column(res, "started_at"), ["2024-05-01 10:00:00", "2024-05-01 10:00:00", "2024-05-01 10:00:00"]);
  });

  it("computes is_available from the liveness expiration against the cluster clock, and is_live from gossip", async () => {
    const res = await run(statusQuery([BASE_QUERY + ACTIVE_NODES_FILTER]) + " ORDER BY id");
    assert.deepStrictEqual(column(res, "is_available"), ["t", "t", "f"]);
    assert.deepStrictEqual(column(res, "ifnull"), ["t", "t", "f"]);
  });

  it("with --decommission shows every node, gossip columns NULL for a node that never gossiped", async () => {
    const nodes = [...NODES, { id: 5, address: "", buildTag: "", livenessTtlSeconds: -900, isLive: false, livenessOnly: true } as FakeNode];
    const engine = new SqlEngine(new FakeCluster(nodes), new MemoryTableStore());
    const [r] = await engine.execute(statusQuery([BASE_QUERY, DECOMMISSION_QUERY]) + " ORDER BY id", [], session);
    assert.deepStrictEqual(
      r.columns.map((c) => c.name),
      [...BASE_COLUMNS, "gossiped_replicas", "is_decommissioning", "membership", "is_draining"],
    );
    const text = r.rows.map((row) => row.map((v, i) => toPgText(v, r.columns[i].type)));
    assert.deepStrictEqual(
      text.map((t) => t[0]),
      ["1", "2", "3", "4", "5"],
    );
    assert.deepStrictEqual(text[4].slice(1, 4), [null, null, null]);
    assert.deepStrictEqual(text[4][8], "f"); // ifnull(is_live, false)
    assert.deepStrictEqual(
      text.map((t) => t.slice(9)),
      [
        ["20", "f", "active", "f"],
        ["20", "f", "active", "t"],
        ["19", "f", "active", "f"],
        ["0", "t", "decommissioned", "f"],
        [null, "f", "active", "f"],
      ],
    );
  });

  it("with --ranges sums the store metrics per node, rounding to INT and NULL where a metric is missing", async () => {
    const res = await run(statusQuery([BASE_QUERY + ACTIVE_NODES_FILTER, RANGES_QUERY]) + " ORDER BY id");
    assert.deepStrictEqual(res.result.columns.map((c) => c.name).slice(9), [
      "replicas_leaders",
      "replicas_leaseholders",
      "ranges",
      "ranges_unavailable",
      "ranges_underreplicated",
    ]);
    assert.ok(res.result.columns.slice(9).every((c) => c.type === "int8"));
    assert.deepStrictEqual(
      res.text.map((t) => t.slice(9)),
      [
        ["7", "7", "20", "0", "2"],
        ["7", "6", "20", null, null],
        [null, null, null, null, null],
      ],
    );
  });

  it("with --all joins ranges, stats and decommission parts in CockroachDB's column order", async () => {
    const res = await run(statusQuery([BASE_QUERY, RANGES_QUERY, STATS_QUERY, DECOMMISSION_QUERY]) + " ORDER BY id");
    assert.deepStrictEqual(
      res.result.columns.map((c) => c.name),
      [
        ...BASE_COLUMNS,
        "replicas_leaders",
        "replicas_leaseholders",
        "ranges",
        "ranges_unavailable",
        "ranges_underreplicated",
        "live_bytes",
        "key_bytes",
        "value_bytes",
        "intent_bytes",
        "system_bytes",
        "gossiped_replicas",
        "is_decommissioning",
        "membership",
        "is_draining",
      ],
    );
    assert.deepStrictEqual(column(res, "live_bytes"), ["1000", null, null, null]);
    assert.deepStrictEqual(column(res, "is_decommissioning"), ["f", "f", "f", "t"]);
  });

  it("with a node id argument selects that node through WHERE id = $1 with a text parameter", async () => {
    const res = await run(statusQuery([BASE_QUERY + ACTIVE_NODES_FILTER]) + " WHERE id = $1", ["2"]);
    assert.deepStrictEqual(column(res, "id"), ["2"]);
    const none = await run(statusQuery([BASE_QUERY + ACTIVE_NODES_FILTER]) + " WHERE id = $1", ["9"]);
    assert.strictEqual(none.result.rows.length, 0, "no row: the CLI then says node 9 doesn't exist");
  });

  it("runs the provider's gossip query with is_available judged by the cluster clock", async () => {
    const res = await run(`SELECT node_id, address, sql_address, build_tag, locality,
  split_part(expiration, ',', 1)::DECIMAL > now()::DECIMAL AS is_available,
  ifnull(is_live, false) AS is_live, draining, membership
FROM crdb_internal.gossip_liveness LEFT JOIN crdb_internal.gossip_nodes USING (node_id)
ORDER BY node_id`);
    assert.deepStrictEqual(
      res.text.map((t) => [t[0], t[5], t[6], t[7], t[8]]),
      [
        ["1", "t", "t", "f", "active"],
        ["2", "t", "t", "t", "active"],
        ["3", "f", "f", "f", "active"],
        ["4", "f", "f", "f", "decommissioned"],
      ],
    );
  });

  it("sees liveness expire when the cluster clock moves past the expiration", async () => {
    const cluster = new FakeCluster(NODES);
    const engine = new SqlEngine(cluster, new MemoryTableStore());
    const sql = statusQuery([BASE_QUERY]) + " ORDER BY id";
    const before = await engine.execute(sql, [], session);
    // Liveness rows are computed from the clock at read time; freeze them by moving only "now".
    const frozen = cluster.virtualTable("crdb_internal.gossip_liveness")!;
    const rows = await frozen.rows();
    cluster.virtualTable = (name) =>
      name === "crdb_internal.gossip_liveness"
        ? { columns: frozen.columns, rows: async () => rows }
        : FakeCluster.prototype.virtualTable.call(cluster, name);
    cluster.clock = new Date(cluster.clock.getTime() + 5000);
    const after = await engine.execute(sql, [], session);
    const avail = (r: QueryResult[]): unknown[] => r[0].rows.map((row) => row[7]);
    assert.deepStrictEqual(avail(before), [true, true, false, false]);
    assert.deepStrictEqual(avail(after), [false, false, false, false]);
  });
});
