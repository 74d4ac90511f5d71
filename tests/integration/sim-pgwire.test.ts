/**
 * The simulator's pgwire server with real clients: node-postgres (simple
 * and extended protocol, pooling, errors that keep the connection usable,
 * transactions, refusal through `admit`, password auth, crash-like drops)
 * and Debian's psql.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import { Client, Pool } from "pg";
import { PgServer, SqlError, startPgServer } from "../../sim/pgwire/server";
import { MemoryTableStore, SqlEngine } from "../../sim/sql";
import { FakeCluster } from "../support/fake-sql-cluster";

const HOST = "127.0.10.1";
const PSQL = "/usr/bin/psql";

interface Harness {
  readonly server: PgServer;
  readonly cluster: FakeCluster;
  draining: boolean;
}

async function start(opts: { password?: string } = {}): Promise<Harness> {
  const cluster = new FakeCluster([{ id: 1, address: `${HOST}:26257`, buildTag: "v23.1.11", livenessTtlSeconds: 5, isLive: true }]);
  const engine = new SqlEngine(cluster, new MemoryTableStore());
  const h: { server?: PgServer; cluster: FakeCluster; draining: boolean } = { cluster, draining: false };
  h.server = await startPgServer({
    host: HOST,
    port: 0,
    buildTag: "v23.1.11",
    admit: async () => (h.draining ? new SqlError("57P01", "server is not accepting clients") : null),
    authenticate: opts.password === undefined ? undefined : async (user, password) => user === "root" && password === opts.password,
    execute: (sql, params, session) => engine.execute(sql, params, session),
  });
  return h as Harness;
}

function clientFor(h: Harness, extra: Record<string, unknown> = {}): Client {
  return new Client({ host: HOST, port: h.server.address.port, user: "root", database: "defaultdb", ...extra });
}

describe("sim/pgwire: node-postgres", () => {
  let h: Harness;
  let client: Client;
  beforeEach(async () => {
    h = await start();
    client = clientFor(h, { application_name: "tests" });
    await client.connect();
  });
  afterEach(async () => {
    await client.end().catch(() => undefined);
    await h.server.close();
  });

  it("answers simple queries with correctly typed columns", async () => {
    const r = await client.query("SELECT 1 AS n, 'x' AS s, true AS b, 1.5 AS d, now() AS t, '{\"a\": 1}'::JSONB AS j, 2.5::FLOAT AS f");
    assert.deepStrictEqual(
      r.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ["n", 20],
        ["s", 25],
        ["b", 16],
        ["d", 1700],
        ["t", 1184],
        ["j", 3802],
        ["f", 701],
      ],
    );
    const row = r.rows[0];
    assert.deepStrictEqual([row.n, row.s, row.b, row.d, row.j, row.f], ["1", "x", true, "1.5", { a: 1 }, 2.5]);
    assert.strictEqual((row.t as Date).toISOString(), "2024-05-01T10:00:00.000Z");
    assert.strictEqual(r.command, "SELECT");
    assert.strictEqual(r.rowCount, 1);
  });

  it("reports the server parameters CockroachDB sends", async () => {
    const params = (client as unknown as { connectionParameters: unknown; processID: number }).processID;
    assert.ok(params > 0, "BackendKeyData carries a process id");
    const r = await client.query("SHOW application_name");
    assert.strictEqual(r.rows[0].application_name, "tests");
    const v = await client.query("SELECT version()");
    assert.match(v.rows[0].version, /^CockroachDB CCL v23\.1\.11/);
  });

  it("runs parameterised queries through the extended protocol", async () => {
    const r = await client.query("SELECT $1::INT + 1 AS n, $2 AS s, $3::BOOL AS b", [41, "hello", true]);
    assert.deepStrictEqual(r.rows, [{ n: "42", s: "hello", b: true }]);
    await client.query("CREATE TABLE kv (k STRING PRIMARY KEY, v INT)");
    const ins = await client.query("INSERT INTO kv VALUES ($1, $2), ($3, $4)", ["a", 1, "b", null]);
    assert.deepStrictEqual([ins.command, ins.rowCount], ["INSERT", 2]);
    const sel = await client.query({ text: "SELECT k, v FROM kv WHERE k = $1", values: ["a"], name: "by-key" });
    assert.deepStrictEqual(sel.rows, [{ k: "a", v: "1" }]);
    const again = await client.query({ text: "SELECT k, v FROM kv WHERE k = $1", values: ["b"], name: "by-key" });
    assert.deepStrictEqual(again.rows, [{ k: "b", v: null }], "a named prepared statement is reusable");
    const upd = await client.query("UPDATE kv SET v = v + 1 WHERE v IS NOT NULL");
    assert.deepStrictEqual([upd.command, upd.rowCount], ["UPDATE", 1]);
    const empty = await client.query("SELECT k FROM kv WHERE k = $1", ["zzz"]);
    assert.deepStrictEqual([empty.rows, empty.fields.map((f) => f.name)], [[], ["k"]]);
  });

  it("returns every result of a multi-statement simple query", async () => {
    const results = (await client.query("SELECT 1 AS a; SELECT 2 AS b; SET application_name = 'x'")) as unknown as {
      rows: unknown[];
      command: string;
    }[];
    assert.deepStrictEqual(
      results.map((r) => [r.command, r.rows]),
      [
        ["SELECT", [{ a: "1" }]],
        ["SELECT", [{ b: "2" }]],
        ["SET", []],
      ],
    );
  });

  it("keeps the connection usable after errors in both protocols", async () => {
    await assert.rejects(client.query("SELEC 1"), { code: "42601", message: 'at or near "selec": syntax error' });
    await assert.rejects(client.query("SELECT * FROM nope WHERE x = $1", [1]), {
      code: "42P01",
      message: 'relation "nope" does not exist',
    });
    await assert.rejects(client.query("SELECT 1/0"), { code: "22012" });
    await assert.rejects(client.query("SELECT 1; SELECT 1/0"), { code: "22012" });
    assert.deepStrictEqual((await client.query("SELECT $1::INT AS ok", [7])).rows, [{ ok: "7" }]);
    assert.deepStrictEqual((await client.query("SELECT 'still fine' AS s")).rows, [{ s: "still fine" }]);
  });

  it("sends error detail and the duplicate-key SQLSTATE", async () => {
    await client.query("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)");
    await assert.rejects(client.query("INSERT INTO t VALUES ($1)", [1]), (e: { code: string; message: string; detail: string }) => {
      assert.deepStrictEqual(
        [e.code, e.message, e.detail],
        ["23505", 'duplicate key value violates unique constraint "t_pkey"', "Key (id)=(1) already exists."],
      );
      return true;
    });
  });

  it("tracks transactions: statements after an error fail with 25P02 until ROLLBACK", async () => {
    await client.query("BEGIN");
    await assert.rejects(client.query("SELECT 1/0"), { code: "22012" });
    await assert.rejects(client.query("SELECT 1"), { code: "25P02" });
    const rb = await client.query("COMMIT");
    assert.strictEqual(rb.command, "ROLLBACK", "COMMIT of a failed transaction rolls back");
    assert.deepStrictEqual((await client.query("SELECT 1 AS x")).rows, [{ x: "1" }]);
  });

  it("serves a pool of connections running queries concurrently", async () => {
    const pool = new Pool({ host: HOST, port: h.server.address.port, user: "root", database: "defaultdb", max: 3 });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.query("SELECT $1::INT * 2 AS n", [i])));
      assert.deepStrictEqual(
        results.map((r) => Number(r.rows[0].n)),
        Array.from({ length: 12 }, (_, i) => i * 2),
      );
      assert.ok(pool.totalCount <= 3);
    } finally {
      await pool.end();
    }
  });

  it("refuses new sessions with 57P01 while admit says the node is draining", async () => {
    h.draining = true;
    const refused = clientFor(h);
    await assert.rejects(refused.connect(), { code: "57P01", message: "server is not accepting clients" });
    await refused.end().catch(() => undefined);
    assert.deepStrictEqual((await client.query("SELECT 1 AS still")).rows, [{ still: "1" }], "open sessions are not affected");
  });

  it("drops every client at once on destroyConnections, and accepts new ones afterwards", async () => {
    const errored = new Promise<Error>((resolve) => client.once("error", resolve));
    h.server.destroyConnections();
    assert.ok((await errored) instanceof Error);
    const fresh = clientFor(h);
    await fresh.connect();
    assert.deepStrictEqual((await fresh.query("SELECT 1 AS back")).rows, [{ back: "1" }]);
    await fresh.end();
  });
});

describe("sim/pgwire: password authentication", () => {
  let h: Harness;
  before(async () => (h = await start({ password: "s3cret" })));
  after(async () => h.server.close());

  it("accepts the right cleartext password", async () => {
    const c = clientFor(h, { password: "s3cret" });
    await c.connect();
    assert.deepStrictEqual((await c.query("SELECT current_user AS u")).rows, [{ u: "root" }]);
    await c.end();
  });

  it("refuses a wrong password with 28P01 without echoing it", async () => {
    const c = clientFor(h, { password: "wrong-pw" });
    await assert.rejects(c.connect(), (e: { code: string; message: string }) => {
      assert.strictEqual(e.code, "28P01");
      assert.strictEqual(e.message, "password authentication failed for user root");
      assert.ok(!e.message.includes("wrong-pw"));
      return true;
    });
    await c.end().catch(() => undefined);
  });
});

describe("sim/pgwire: psql", () => {
  let h: Harness;
  before(async function () {
    if (!fs.existsSync(PSQL)) throw new Error(`${PSQL} is missing: apt-get install postgresql-client`);
    h = await start();
  });
  after(async () => h?.server.close());

  /** Runs psql asynchronously: the server lives in this process, so a blocking spawn would starve it. */
  function psql(
    args: string[],
    url = `postgresql://root@${HOST}:${h.server.address.port}/defaultdb?sslmode=disable`,
  ): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(PSQL, [url, "-X", ...args], { env: { ...process.env, PGCONNECT_TIMEOUT: "5" } });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, out, err });
      });
    });
  }

  it("runs several statements given in one -c and prints each result, the SELECT as a table", async () => {
    const r = await psql([
      "-c",
      "CREATE TABLE nodes (id INT PRIMARY KEY, name STRING); INSERT INTO nodes VALUES (1, 'n1'), (2, 'n2'); SELECT id, name FROM nodes ORDER BY id",
    ]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.out, "CREATE TABLE\nINSERT 0 2\n id | name \n----+------\n  1 | n1\n  2 | n2\n(2 rows)\n\n");
  });

  it("prints each -c result and the cluster's crdb_internal rows", async () => {
    const r = await psql(["-c", "SHOW CLUSTER SETTING version", "-c", "SELECT node_id, build_tag FROM crdb_internal.gossip_nodes"]);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, / version \n---------\n 23\.1\n\(1 row\)/);
    assert.match(r.out, /node_id \| build_tag\s*\n-+\+-+\n\s+1 \| v23\.1\.11\n\(1 row\)/);
  });

  it("negotiates past its SSL request (sslmode=prefer) and reports errors on stderr with exit 1", async () => {
    const url = `postgresql://root@${HOST}:${h.server.address.port}/defaultdb`;
    const ok = await psql(["-c", "SELECT 1 AS one"], url);
    assert.strictEqual(ok.code, 0, ok.err);
    const bad = await psql(["-v", "ON_ERROR_STOP=1", "-c", "SELECT * FROM missing"], url);
    assert.strictEqual(bad.code, 1);
    assert.match(bad.err, /ERROR: {2}relation "missing" does not exist/);
  });

  it("prints unaligned tuples for scripting (-At)", async () => {
    const r = await psql(["-At", "-c", "SELECT crdb_internal.node_executable_version(), 1 + 1"]);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.out, "23.1|2\n");
  });
});
