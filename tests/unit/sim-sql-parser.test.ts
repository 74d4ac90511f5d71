/**
 * The simulator's SQL parser: statement shapes it accepts, CockroachDB's
 * syntax-error form (42601 `at or near "<token>": syntax error` with the
 * source/caret detail), and a fuzz over random token soup proving that bad
 * input only ever yields SqlError — never a crash.
 */
import * as assert from "assert";
import { PgSession, SqlError } from "../../sim/pgwire/types";
import { MemoryTableStore, SqlEngine, parseStatements } from "../../sim/sql";
import { FakeCluster } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "defaultdb", remoteAddress: "127.0.0.1:1" };

function parseError(sql: string): SqlError {
  try {
    parseStatements(sql);
  } catch (e) {
    assert.ok(e instanceof SqlError, `expected SqlError, got ${String(e)}`);
    return e;
  }
  throw new Error(`expected a syntax error for ${sql}`);
}

describe("sim/sql: parser", () => {
  const accepted: [string, string[]][] = [
    ["SELECT 1", ["select"]],
    ["select 1; select 2;", ["select", "select"]],
    [";;SELECT 1;;", ["select"]],
    [
      "SELECT DISTINCT a AS x, b y FROM t AS u LEFT OUTER JOIN v ON u.a = v.a WHERE a > 1 GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY x DESC NULLS LAST LIMIT 5 OFFSET 2",
      ["select"],
    ],
    ["SELECT * FROM (SELECT 1 AS id) LEFT JOIN (SELECT 1 AS id) USING (id)", ["select"]],
    ["SELECT * FROM (((SELECT 1 AS id) LEFT JOIN (SELECT 1 AS id) USING (id)) LEFT JOIN (SELECT 1 AS id) USING (id))", ["select"]],
    ["SELECT * FROM t AS OF SYSTEM TIME '-10s' WHERE x = 1", ["select"]],
    ["SELECT a FROM t1, t2 CROSS JOIN t3 INNER JOIN t4 USING (a)", ["select"]],
    ["SELECT 1 UNION ALL SELECT 2 UNION SELECT 3 ORDER BY 1", ["select"]],
    ["SELECT x -- comment\n FROM /* block */ t", ["select"]],
    ['SELECT "Quoted ""Name""" FROM "T"', ["select"]],
    ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, DEFAULT) ON CONFLICT (a) DO UPDATE SET b = excluded.b RETURNING *", ["insert"]],
    ["INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", ["insert"]],
    ["INSERT INTO t SELECT * FROM u", ["insert"]],
    ["UPSERT INTO db.public.t (a) VALUES ($1)", ["insert"]],
    ["UPDATE t SET a = a + 1, b = DEFAULT WHERE a < 3 RETURNING a", ["update"]],
    ["DELETE FROM t WHERE a IN (SELECT a FROM u) RETURNING a", ["delete"]],
    [
      "CREATE TABLE IF NOT EXISTS t (id INT8 PRIMARY KEY, s STRING NOT NULL DEFAULT 'x', ts TIMESTAMPTZ DEFAULT now(), d DECIMAL(10,2), j JSONB, f DOUBLE PRECISION, u UUID DEFAULT gen_random_uuid(), INDEX (s), FAMILY f1 (id))",
      ["create-table"],
    ],
    ["CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (a, b))", ["create-table"]],
    ["CREATE DATABASE IF NOT EXISTS d", ["create-database"]],
    ["DROP TABLE IF EXISTS a, b CASCADE", ["drop-table"]],
    ["SHOW CLUSTER SETTING cluster.preserve_downgrade_option", ["show-cluster-setting"]],
    ["SHOW ALL CLUSTER SETTINGS", ["show-cluster-settings"]],
    ["SET CLUSTER SETTING server.shutdown.drain_wait TO '10s'", ["set-cluster-setting"]],
    ["SET CLUSTER SETTING version = crdb_internal.node_executable_version()", ["set-cluster-setting"]],
    ["RESET CLUSTER SETTING cluster.preserve_downgrade_option", ["set-cluster-setting"]],
    [
      "SET application_name = 'x'; SET datestyle TO ISO, MDY; SET TIME ZONE 'UTC'; SET statement_timeout = $1",
      ["set-var", "set-var", "set-var", "set-var"],
    ],
    [
      "SHOW application_name; SHOW TRANSACTION ISOLATION LEVEL; SHOW DATABASES; SHOW TABLES FROM d",
      ["show-var", "show-var", "show-databases", "show-tables"],
    ],
    [
      "BEGIN; SAVEPOINT cockroach_restart; RELEASE SAVEPOINT cockroach_restart; COMMIT",
      ["transaction", "transaction", "transaction", "transaction"],
    ],
    ["BACKUP INTO 'nodelocal://1/b' AS OF SYSTEM TIME '-10s'", ["backup"]],
    ["USE d", ["use"]],
  ];
  for (const [sql, kinds] of accepted) {
    it(`parses ${JSON.stringify(sql.slice(0, 70))}`, () => {
      assert.deepStrictEqual(
        parseStatements(sql).map((p) => p.stmt.kind),
        kinds,
      );
    });
  }

  it("keeps each statement's own text (BACKUP is delegated verbatim)", () => {
    const parsed = parseStatements("SELECT 1;  BACKUP INTO 'external://b' AS OF SYSTEM TIME '-10s' ; SELECT 2");
    assert.deepStrictEqual(
      parsed.map((p) => p.text),
      ["SELECT 1", "BACKUP INTO 'external://b' AS OF SYSTEM TIME '-10s'", "SELECT 2"],
    );
  });

  const rejected: [string, string][] = [
    ["SELEC 1", "selec"],
    ["SELECT 1 +", "EOF"],
    ["SELECT FROM", "from"],
    ["SELECT 1 2", "2"],
    ["SELECT (1", "EOF"],
    ["SELECT * FROM t WHERE", "EOF"],
    ["INSERT INTO t VALUES", "EOF"],
    ["CREATE TABLE t (a INT,)", ")"],
  ];
  for (const [sql, near] of rejected) {
    it(`rejects ${JSON.stringify(sql)} with 42601 at or near "${near}"`, () => {
      const err = parseError(sql);
      assert.strictEqual(err.code, "42601");
      assert.strictEqual(err.message, `at or near "${near}": syntax error`);
    });
  }

  it("points at the offending token in the detail, as CockroachDB does", () => {
    const err = parseError("SELECT 1 2");
    assert.strictEqual(err.detail, "source SQL:\nSELECT 1 2\n         ^");
  });

  it("reports lexical errors (unterminated strings) as 42601", () => {
    const err = parseError("SELECT 'abc");
    assert.strictEqual(err.code, "42601");
    assert.match(err.message, /unterminated string/);
  });

  it("runs nothing from a batch that has a syntax error anywhere", async () => {
    const engine = new SqlEngine(new FakeCluster([]), new MemoryTableStore());
    await assert.rejects(engine.execute("CREATE TABLE t (a INT PRIMARY KEY); SELEC 1", [], session), { code: "42601" });
    await assert.rejects(engine.execute("SELECT * FROM t", [], session), { code: "42P01" });
  });
});

describe("sim/sql: parser fuzz", () => {
  const vocabulary = [
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "AS",
    "JOIN",
    "LEFT",
    "USING",
    "ON",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "TRUE",
    "IS",
    "IN",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "INSERT",
    "INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE",
    "CREATE",
    "TABLE",
    "DROP",
    "SHOW",
    "CLUSTER",
    "SETTING",
    "RESET",
    "DEFAULT",
    "PRIMARY",
    "KEY",
    "ON CONFLICT",
    "DO",
    "NOTHING",
    "RETURNING",
    "UNION",
    "ALL",
    "DISTINCT",
    "EXISTS",
    "INT",
    "DECIMAL",
    "STRING",
    "JSONB",
    "(",
    ")",
    ",",
    ";",
    ".",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<>",
    "!=",
    "<",
    ">=",
    "::",
    "->",
    "->>",
    "||",
    "$1",
    "$2",
    "1",
    "2.5",
    "'str'",
    "'it''s'",
    '"q"',
    "x",
    "t",
    "node_id",
    "crdb_internal.gossip_nodes",
    "now()",
    "count(*)",
    "sum(",
    "split_part(",
    "ifnull(",
    "'",
    '"',
    "e'\\",
    "/*",
    "--",
    "@",
    "?",
    "#",
    "[",
    "]",
    "1e",
    ".5",
  ];

  /** Deterministic PRNG so a failure reproduces. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it("throws only SqlError (or parses) for 5000 random token soups", () => {
    const rand = rng(20240501);
    let errors = 0;
    for (let i = 0; i < 5000; i++) {
      const n = 1 + Math.floor(rand() * 14);
      const sql = Array.from({ length: n }, () => vocabulary[Math.floor(rand() * vocabulary.length)]).join(rand() < 0.8 ? " " : "");
      try {
        parseStatements(sql);
      } catch (e) {
        assert.ok(e instanceof SqlError, `non-SqlError for ${JSON.stringify(sql)}: ${(e as Error)?.stack}`);
        errors++;
      }
    }
    assert.ok(errors > 1000, `the soup should mostly be invalid (got ${errors} errors)`);
  });

  it("executes random soup without ever failing with anything but a categorized SqlError", async () => {
    const rand = rng(7);
    const engine = new SqlEngine(new FakeCluster([]), new MemoryTableStore());
    await engine.execute("CREATE TABLE t (x INT PRIMARY KEY, node_id INT)", [], session);
    for (let i = 0; i < 1500; i++) {
      const n = 2 + Math.floor(rand() * 10);
      const sql = "SELECT " + Array.from({ length: n }, () => vocabulary[Math.floor(rand() * vocabulary.length)]).join(" ");
      try {
        await engine.execute(sql, ["1", "2"], session);
      } catch (e) {
        assert.ok(e instanceof SqlError, `non-SqlError for ${JSON.stringify(sql)}: ${String(e)}`);
        assert.notStrictEqual(e.code, "XX000", `internal error for ${JSON.stringify(sql)}: ${e.message}`);
      }
    }
  });
});
