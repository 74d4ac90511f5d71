/**
 * User tables in the simulator's SQL engine: CREATE/DROP, INSERT with
 * defaults and conflicts, UPSERT, UPDATE, DELETE, RETURNING, SELECT with
 * joins, grouping and ordering — over the in-memory store and over the
 * JSON-file store shared by several processes.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toPgText } from "../../sim/pgwire/text-format";
import { PgSession, SqlError, StatementBatchError } from "../../sim/pgwire/types";
import { JsonFileTableStore, MemoryTableStore, SqlEngine, TableStore } from "../../sim/sql";
import { FakeCluster } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "defaultdb", remoteAddress: "127.0.0.1:1" };

function newEngine(store: TableStore = new MemoryTableStore()): SqlEngine {
  return new SqlEngine(new FakeCluster([]), store);
}

async function rows(e: SqlEngine, sql: string, params: unknown[] = []): Promise<(string | null)[][]> {
  const results = await e.execute(sql, params, session);
  const r = results[results.length - 1];
  return r.rows.map((row) => row.map((v, i) => toPgText(v, r.columns[i].type)));
}

async function fails(e: SqlEngine, sql: string): Promise<SqlError> {
  try {
    await e.execute(sql, [], session);
  } catch (err) {
    if (err instanceof SqlError) return err;
    throw err;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("sim/sql: user tables", () => {
  let e: SqlEngine;
  beforeEach(async () => {
    e = newEngine();
    await e.execute(
      "CREATE TABLE kv (k STRING PRIMARY KEY, v INT NOT NULL DEFAULT 0, note STRING, at TIMESTAMPTZ DEFAULT now()); " +
        "INSERT INTO kv (k, v, note) VALUES ('b', 2, 'two'), ('a', 1, NULL), ('c', 3, 'three')",
      [],
      session,
    );
  });

  it("returns rows in primary-key order with defaults filled in", async () => {
    assert.deepStrictEqual(await rows(e, "SELECT k, v, note, at FROM kv"), [
      ["a", "1", null, "2024-05-01 10:00:00+00"],
      ["b", "2", "two", "2024-05-01 10:00:00+00"],
      ["c", "3", "three", "2024-05-01 10:00:00+00"],
    ]);
  });

  it("reports INSERT/UPDATE/DELETE row counts in the command tag", async () => {
    const [ins] = await e.execute("INSERT INTO kv (k) VALUES ('d'), ('e')", [], session);
    assert.deepStrictEqual([ins.command, ins.rowCount], ["INSERT", 2]);
    const [upd] = await e.execute("UPDATE kv SET v = v + 10 WHERE v < 2", [], session);
    assert.deepStrictEqual([upd.command, upd.rowCount], ["UPDATE", 3]);
    const [del] = await e.execute("DELETE FROM kv WHERE k IN ('d', 'e')", [], session);
    assert.deepStrictEqual([del.command, del.rowCount], ["DELETE", 2]);
    assert.deepStrictEqual(await rows(e, "SELECT k, v FROM kv ORDER BY v DESC"), [
      ["a", "11"],
      ["c", "3"],
      ["b", "2"],
    ]);
  });

  it("refuses a duplicate primary key with 23505 and CockroachDB's message, keeping the table unchanged", async () => {
    const err = await fails(e, "INSERT INTO kv (k, v) VALUES ('z', 9), ('a', 5)");
    assert.strictEqual(err.code, "23505");
    assert.strictEqual(err.message, 'duplicate key value violates unique constraint "kv_pkey"');
    assert.strictEqual(err.detail, "Key (k)=(a) already exists.");
    assert.deepStrictEqual(await rows(e, "SELECT count(*) FROM kv"), [["3"]], "the statement is atomic: 'z' was not kept");
  });

  it("supports ON CONFLICT DO NOTHING and DO UPDATE SET ... = excluded.col", async () => {
    const [n] = await e.execute("INSERT INTO kv (k, v) VALUES ('a', 100) ON CONFLICT (k) DO NOTHING", [], session);
    assert.strictEqual(n.rowCount, 0);
    await e.execute("INSERT INTO kv (k, v) VALUES ('a', 100), ('n', 5) ON CONFLICT (k) DO UPDATE SET v = excluded.v + kv.v", [], session);
    assert.deepStrictEqual(await rows(e, "SELECT k, v FROM kv WHERE k IN ('a', 'n')"), [
      ["a", "101"],
      ["n", "5"],
    ]);
  });

  it("UPSERT replaces the named columns of an existing row and inserts new ones", async () => {
    await e.execute("UPSERT INTO kv (k, v) VALUES ('b', 20), ('x', 7)", [], session);
    assert.deepStrictEqual(await rows(e, "SELECT k, v, note FROM kv WHERE k IN ('b', 'x')"), [
      ["b", "20", "two"],
      ["x", "7", null],
    ]);
  });

  it("returns affected rows with RETURNING", async () => {
    assert.deepStrictEqual(await rows(e, "INSERT INTO kv (k, v) VALUES ('r', 5) RETURNING k, v * 2 AS doubled"), [["r", "10"]]);
    assert.deepStrictEqual(await rows(e, "UPDATE kv SET note = 'upd' WHERE k = 'r' RETURNING note"), [["upd"]]);
    assert.deepStrictEqual(await rows(e, "DELETE FROM kv WHERE k = 'r' RETURNING *").then((r) => r.map((x) => x.slice(0, 3))), [
      ["r", "5", "upd"],
    ]);
  });

  it("enforces NOT NULL with 23502", async () => {
    const err = await fails(e, "INSERT INTO kv (k, v) VALUES ('q', NULL)");
    assert.strictEqual(err.code, "23502");
    assert.match(err.message, /null value in column "v" violates not-null constraint/);
  });

  it("converts parameters and literals to the column types", async () => {
    await e.execute("INSERT INTO kv (k, v, at) VALUES ($1, $2, $3)", ["p", "42", "2020-01-01 00:00:00"], session);
    assert.deepStrictEqual(await rows(e, "SELECT v, at FROM kv WHERE k = $1", ["p"]), [["42", "2020-01-01 00:00:00+00"]]);
    assert.strictEqual((await fails(e, "INSERT INTO kv (k, v) VALUES ('w', 'many')")).code, "22P02");
  });

  it("groups, aggregates, filters groups and orders by aggregate", async () => {
    await e.execute("INSERT INTO kv (k, v, note) VALUES ('d', 4, 'two'), ('e', 5, 'three'), ('f', 6, 'two')", [], session);
    assert.deepStrictEqual(
      await rows(
        e,
        "SELECT note, count(*) AS n, sum(v), min(v), max(v), avg(v) FROM kv WHERE note IS NOT NULL GROUP BY note HAVING count(*) > 1 ORDER BY n DESC",
      ),
      [
        ["two", "3", "12", "2", "6", "4"],
        ["three", "2", "8", "3", "5", "4"],
      ],
    );
    assert.deepStrictEqual(await rows(e, "SELECT count(*), count(note), sum(v) FROM kv WHERE v > 100"), [["0", "0", null]]);
    assert.deepStrictEqual(await rows(e, "SELECT DISTINCT note FROM kv ORDER BY note"), [[null], ["three"], ["two"]]);
    assert.strictEqual((await fails(e, "SELECT note, v FROM kv GROUP BY note")).code, "42803");
    assert.deepStrictEqual(await rows(e, "SELECT string_agg(k, ','), bool_and(v > 0), count(DISTINCT note) FROM kv"), [
      ["a,b,c,d,e,f", "t", "2"],
    ]);
  });

  it("joins tables with ON, USING and LEFT JOIN padding, and supports LIMIT/OFFSET", async () => {
    await e.execute(
      "CREATE TABLE tags (k STRING, tag STRING, PRIMARY KEY (k, tag)); INSERT INTO tags VALUES ('a', 'x'), ('a', 'y'), ('c', 'z')",
      [],
      session,
    );
    assert.deepStrictEqual(await rows(e, "SELECT kv.k, t.tag FROM kv JOIN tags AS t ON kv.k = t.k ORDER BY 1, 2"), [
      ["a", "x"],
      ["a", "y"],
      ["c", "z"],
    ]);
    assert.deepStrictEqual(await rows(e, "SELECT k, tag FROM kv LEFT JOIN tags USING (k) ORDER BY k, tag LIMIT 2 OFFSET 2"), [
      ["b", null],
      ["c", "z"],
    ]);
    assert.deepStrictEqual(await rows(e, "SELECT k FROM kv WHERE k NOT IN (SELECT k FROM tags)"), [["b"]]);
    assert.deepStrictEqual(await rows(e, "SELECT (SELECT max(v) FROM kv) AS top, EXISTS (SELECT 1 FROM tags WHERE tag = 'z')"), [
      ["3", "t"],
    ]);
  });

  it("resolves qualified names db.t and db.public.t, and creates databases", async () => {
    await e.execute("CREATE DATABASE app; CREATE TABLE app.public.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)", [], session);
    assert.deepStrictEqual(await rows(e, "SELECT id FROM app.public.t"), [["1"]]);
    assert.deepStrictEqual(await rows(e, "SELECT count(*) FROM defaultdb.kv"), [["3"]]);
    assert.deepStrictEqual(
      await rows(e, "SHOW DATABASES").then((r) => r.map((x) => x[0])),
      [["app"], ["defaultdb"], ["postgres"], ["system"]].map((x) => x[0]),
    );
    assert.strictEqual((await fails(e, "CREATE DATABASE app")).code, "42P04");
    await e.execute("USE app", [], session);
    assert.deepStrictEqual(await rows(e, "SHOW TABLES").then((r) => r.map((x) => x[1])), ["t"]);
    assert.strictEqual((await fails(e, "USE nosuchdb")).code, "3D000");
  });

  it("gives tables without a primary key a hidden rowid from unique_rowid()", async () => {
    await e.execute("CREATE TABLE log (msg STRING); INSERT INTO log VALUES ('a'), ('a')", [], session);
    const [r] = await e.execute("SELECT * FROM log", [], session);
    assert.deepStrictEqual(
      r.columns.map((c) => c.name),
      ["msg"],
    );
    const [ids] = await e.execute("SELECT rowid FROM log", [], session);
    assert.strictEqual(ids.rows.length, 2);
    assert.ok((ids.rows[1][0] as bigint) > (ids.rows[0][0] as bigint) && (ids.rows[0][0] as bigint) > 2n ** 50n);
  });

  it("fills gen_random_uuid() defaults", async () => {
    await e.execute(
      "CREATE TABLE u (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), n INT); INSERT INTO u (n) VALUES (1), (2)",
      [],
      session,
    );
    const ids = await rows(e, "SELECT id FROM u");
    assert.strictEqual(ids.length, 2);
    for (const [id] of ids) assert.match(id!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("drops tables and reports unknown ones as 42P01 unless IF EXISTS", async () => {
    await e.execute("DROP TABLE kv", [], session);
    const err = await fails(e, "SELECT * FROM kv");
    assert.deepStrictEqual([err.code, err.message], ["42P01", 'relation "kv" does not exist']);
    assert.strictEqual((await fails(e, "DROP TABLE kv")).code, "42P01");
    await e.execute("DROP TABLE IF EXISTS kv", [], session);
    assert.strictEqual((await fails(e, "CREATE TABLE x (a INT, a INT)")).code, "42701");
    assert.strictEqual((await fails(e, "CREATE TABLE x (a INT DEFAULT nosuch())")).code, "42883");
  });

  it("refuses to write to crdb_internal tables", async () => {
    const err = await fails(e, "DELETE FROM crdb_internal.gossip_nodes");
    assert.strictEqual(err.code, "42501");
  });

  it("returns the results before a failing statement of a batch", async () => {
    await assert.rejects(e.execute("SELECT 1; SELECT 1/0; SELECT 3", [], session), (err: unknown) => {
      assert.ok(err instanceof StatementBatchError);
      assert.strictEqual(err.completed.length, 1);
      assert.strictEqual(err.cause.code, "22012");
      return true;
    });
  });
});

describe("sim/sql: JSON file table store", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-sql-store-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("persists tables across engine instances sharing one file", async () => {
    const file = path.join(dir, "tables.json");
    await newEngine(new JsonFileTableStore(file)).execute(
      "CREATE TABLE t (id INT PRIMARY KEY, j JSONB, d DECIMAL, b BOOL); INSERT INTO t VALUES (1, '{\"a\": [1]}', 1.50, true)",
      [],
      session,
    );
    assert.deepStrictEqual(await rows(newEngine(new JsonFileTableStore(file)), "SELECT * FROM t"), [["1", '{"a": [1]}', "1.50", "t"]]);
  });

  it("serialises concurrent writers in separate processes without losing rows", async function () {
    this.timeout(60_000);
    const file = path.join(dir, "tables.json");
    await newEngine(new JsonFileTableStore(file)).execute("CREATE TABLE hits (id INT PRIMARY KEY, who STRING)", [], session);
    const writer = `
      const { SqlEngine, JsonFileTableStore } = require(${JSON.stringify(path.resolve(__dirname, "../../sim/sql"))});
      const { FakeCluster } = require(${JSON.stringify(path.resolve(__dirname, "../support/fake-sql-cluster"))});
      const e = new SqlEngine(new FakeCluster([]), new JsonFileTableStore(process.argv[1]));
      const who = process.argv[2];
      const s = { user: "root", database: "defaultdb", remoteAddress: "x" };
      (async () => { for (let i = 0; i < 25; i++) await e.execute("INSERT INTO hits VALUES ((SELECT ifnull(max(id), 0) + 1 FROM hits), $1)", [who], s); })()
        .catch((err) => { console.error(err); process.exit(1); });`;
    const codes = await Promise.all(
      ["p1", "p2", "p3"].map(
        (who) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, ["-e", writer, file, who], { stdio: ["ignore", "ignore", "inherit"] });
            child.on("exit", resolve);
          }),
      ),
    );
    assert.deepStrictEqual(codes, [0, 0, 0]);
    // Each insert reads max(id) and writes max+1 in one transaction: lost updates would show as duplicate-key failures or gaps.
    assert.deepStrictEqual(await rows(newEngine(new JsonFileTableStore(file)), "SELECT count(*), max(id), count(DISTINCT who) FROM hits"), [
      ["75", "75", "3"],
    ]);
    assert.ok(!fs.existsSync(file + ".lock"), "the lock is released");
  });

  it("breaks a lock left behind by a dead process", async () => {
    const file = path.join(dir, "tables.json");
    fs.writeFileSync(file + ".lock", "999999999");
    await newEngine(new JsonFileTableStore(file, { lockTimeoutMs: 2000 })).execute("CREATE TABLE t (id INT PRIMARY KEY)", [], session);
    assert.ok(fs.existsSync(file));
  });
});
