/**
 * The simulator's SQL engine evaluates expressions as CockroachDB does:
 * result values and types, three-valued NULL logic, casts, operators,
 * functions, and errors with CockroachDB's SQLSTATEs and messages.
 */
import * as assert from "assert";
import { toPgText } from "../../sim/pgwire/text-format";
import { PgSession, QueryResult, SqlError } from "../../sim/pgwire/types";
import { MemoryTableStore, SqlEngine } from "../../sim/sql";
import { FakeCluster } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "defaultdb", remoteAddress: "127.0.0.1:1" };

function engine(): SqlEngine {
  return new SqlEngine(new FakeCluster([]), new MemoryTableStore());
}

/** The cells of a one-row result as the pgwire text format shows them. */
async function row(e: SqlEngine, sql: string, params: unknown[] = []): Promise<(string | null)[]> {
  const [r] = await e.execute(sql, params, session);
  return r.rows[0].map((v, i) => toPgText(v, r.columns[i].type));
}

async function one(e: SqlEngine, sql: string): Promise<string | null> {
  return (await row(e, sql))[0];
}

async function sqlError(e: SqlEngine, sql: string, params: unknown[] = []): Promise<SqlError> {
  try {
    await e.execute(sql, params, session);
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected SqlError, got ${String(err)}`);
    return err;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("sim/sql: expressions", () => {
  const cases: [string, string | null][] = [
    ["SELECT 1", "1"],
    ["SELECT 1 + 2 * 3", "7"],
    ["SELECT (1 + 2) * 3", "9"],
    ["SELECT 7 % 3", "1"],
    ["SELECT 1 / 2", "0.5"],
    ["SELECT 10 / 2", "5"],
    ["SELECT 1 / 3", "0.33333333333333333333"],
    ["SELECT 7 // 2", "3"],
    ["SELECT -7 // 2", "-4"],
    ["SELECT 1.50 + 1", "2.50"],
    ["SELECT 2.5 * 2.0", "5.00"],
    ["SELECT -(3)", "-3"],
    ["SELECT 'it''s'", "it's"],
    ["SELECT e'a\\tb'", "a\tb"],
    ["SELECT 'a' || 'b' || 1", "ab1"],
    ["SELECT 1 = 1", "t"],
    ["SELECT 1 <> 1", "f"],
    ["SELECT 1 != 2", "t"],
    ["SELECT 2 >= 2 AND 1 < 2", "t"],
    ["SELECT 'b' > 'a'", "t"],
    ["SELECT 1.5 > 1", "t"],
    ["SELECT NOT true", "f"],
    ["SELECT 3 BETWEEN 1 AND 5", "t"],
    ["SELECT 3 NOT BETWEEN 1 AND 5", "f"],
    ["SELECT 2 IN (1, 2, 3)", "t"],
    ["SELECT 4 NOT IN (1, 2, 3)", "t"],
    ["SELECT 'abc' LIKE 'a%'", "t"],
    ["SELECT 'abc' LIKE 'a_c'", "t"],
    ["SELECT 'abc' NOT LIKE 'b%'", "t"],
    ["SELECT 'ABC' ILIKE 'a%'", "t"],
    ["SELECT CASE WHEN 1 > 2 THEN 'x' WHEN 2 > 1 THEN 'y' ELSE 'z' END", "y"],
    ["SELECT CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", "two"],
    ["SELECT CASE WHEN false THEN 1 END", null],
    ["SELECT ifnull(NULL, 'x')", "x"],
    ["SELECT coalesce(NULL, NULL, 3)", "3"],
    ["SELECT nullif(1, 1)", null],
    ["SELECT split_part('1537554433.373651000,0', ',', 1)", "1537554433.373651000"],
    ["SELECT split_part('a,b', ',', 5)", ""],
    ["SELECT lower('AbC'), upper('AbC'), length('héllo')", "abc"],
    ["SELECT concat('a', NULL, 1, true)", "a1true"],
    ["SELECT greatest(1, 5, 3), least(4, 2)", "5"],
    ["SELECT abs(-2.5)", "2.5"],
    ["SELECT round(2.345, 2)", "2.35"],
    ["SELECT round(2.5)", "3"],
    ["SELECT '{\"a\": {\"b\": 2}}'::JSONB -> 'a'", '{"b": 2}'],
    ["SELECT '{\"a\": {\"b\": 2}}'::JSONB -> 'a' ->> 'b'", "2"],
    ["SELECT '{\"replicas.leaders\": 3}'::JSONB ->> 'replicas.leaders'", "3"],
    ["SELECT '{\"a\": 1}'::JSONB ->> 'missing'", null],
    ["SELECT '[10, 20]'::JSONB -> 1", "20"],
    ['SELECT \'{"b":1,"a":[1,2]}\'::JSONB', '{"a": [1, 2], "b": 1}'],
    ["SELECT crdb_internal.node_executable_version()", "23.1"],
    ["SELECT crdb_internal.active_version()", '{"internal": 0, "major": 23, "minor": 1, "patch": 0}'],
    ["SELECT version() LIKE 'CockroachDB CCL v23.1.11%'", "t"],
    ["SELECT now()", "2024-05-01 10:00:00+00"],
    ["SELECT current_timestamp = now()", "t"],
    ["SELECT now()::decimal", "1714557600"],
    ["SELECT now() - INTERVAL '1h'", "2024-05-01 09:00:00+00"],
    ["SELECT '10s'::INTERVAL", "00:00:10"],
    ["SELECT INTERVAL '1 day 2 hours'", "1 day 02:00:00"],
    ["SELECT current_user", "root"],
    ["SELECT current_database()", "defaultdb"],
  ];
  for (const [sql, expected] of cases) {
    it(`${sql} gives ${JSON.stringify(expected)}`, async () => {
      assert.strictEqual(await one(engine(), sql), expected);
    });
  }

  it("names result columns by alias, column, function, cast type or ?column?", async () => {
    const [r] = await engine().execute("SELECT 1 AS one, now(), 1::INT, 2, CASE WHEN true THEN 1 END, count(*)", [], session);
    assert.deepStrictEqual(
      r.columns.map((c) => c.name),
      ["one", "now", "int8", "?column?", "case", "count"],
    );
  });

  it("types results with CockroachDB's types: INT/INT division is DECIMAL, sum of INT is DECIMAL, count is INT", async () => {
    const [r] = await engine().execute(
      "SELECT 1, 1/2, 1.5, 1.5::FLOAT, 'a', true, now(), now()::TIMESTAMP, '{}'::JSONB, '1s'::INTERVAL, 'x'::BYTES",
      [],
      session,
    );
    assert.deepStrictEqual(
      r.columns.map((c) => c.type),
      ["int8", "numeric", "numeric", "float8", "text", "bool", "timestamptz", "timestamp", "jsonb", "interval", "bytea"],
    );
  });

  it("evaluates every now() in one statement to the cluster clock's time", async () => {
    const cluster = new FakeCluster([]);
    const e = new SqlEngine(cluster, new MemoryTableStore());
    cluster.clock = new Date("2030-01-02T03:04:05.678Z");
    assert.deepStrictEqual(await row(e, "SELECT now(), now()::DECIMAL"), ["2030-01-02 03:04:05.678+00", "1893553445.678"]);
  });
});

describe("sim/sql: NULL logic", () => {
  const cases: [string, string | null][] = [
    ["SELECT NULL = 1", null],
    ["SELECT NULL = NULL", null],
    ["SELECT NULL IS NULL", "t"],
    ["SELECT 1 IS NOT NULL", "t"],
    ["SELECT NULL AND false", "f"],
    ["SELECT NULL AND true", null],
    ["SELECT NULL OR true", "t"],
    ["SELECT NULL OR false", null],
    ["SELECT NOT NULL::BOOL", null],
    ["SELECT 1 IN (2, NULL)", null],
    ["SELECT 1 IN (1, NULL)", "t"],
    ["SELECT 1 NOT IN (2, NULL)", null],
    ["SELECT NULL + 1", null],
    ["SELECT 'a' || NULL", null],
    ["SELECT NULL LIKE 'a'", null],
    ["SELECT NULL::BOOL IS TRUE", "f"],
    ["SELECT NULL::BOOL IS NOT FALSE", "t"],
    ["SELECT NULL IS DISTINCT FROM 1", "t"],
    ["SELECT NULL IS NOT DISTINCT FROM NULL", "t"],
    ["SELECT split_part(NULL, ',', 1)", null],
    ["SELECT ifnull(NULL::BOOL, false)", "f"],
  ];
  for (const [sql, expected] of cases) {
    it(`${sql} gives ${JSON.stringify(expected)}`, async () => {
      assert.strictEqual(await one(engine(), sql), expected);
    });
  }

  it("keeps only rows whose WHERE is true, not NULL", async () => {
    const e = engine();
    const [r] = await e.execute("SELECT x FROM (SELECT 1 AS x UNION ALL SELECT NULL UNION ALL SELECT 3) AS t WHERE x > 1", [], session);
    assert.deepStrictEqual(r.rows, [[3n]]);
  });
});

describe("sim/sql: casts", () => {
  const cases: [string, string | null][] = [
    ["SELECT '42'::INT", "42"],
    ["SELECT ' 42 '::INT8", "42"],
    ["SELECT 2.5::INT", "3"],
    ["SELECT (-2.5)::INT", "-3"],
    ["SELECT '1537554433.373651000'::DECIMAL", "1537554433.373651000"],
    ["SELECT 3::DECIMAL", "3"],
    ["SELECT 42::STRING", "42"],
    ["SELECT true::TEXT", "true"],
    ["SELECT 1.5::FLOAT", "1.5"],
    ["SELECT 't'::BOOL", "t"],
    ["SELECT 'off'::BOOLEAN", "f"],
    ["SELECT '2024-01-02 03:04:05'::TIMESTAMP", "2024-01-02 03:04:05"],
    ["SELECT '2024-01-02T03:04:05Z'::TIMESTAMPTZ", "2024-01-02 03:04:05+00"],
    ["SELECT '2024-01-02 03:04:05'::TIMESTAMP::DECIMAL", "1704164645"],
    ["SELECT CAST('7' AS INT) + 1", "8"],
    ["SELECT CAST(1 AS DECIMAL(10, 2))", "1"],
    ["SELECT '{\"a\":1}'::JSONB ->> 'a'", "1"],
    ["SELECT 'abc'::BYTES", "\\x616263"],
    ["SELECT NULL::INT", null],
    ["SELECT '1h30m'::INTERVAL", "01:30:00"],
    ["SELECT 5::INT::STRING || 'x'", "5x"],
  ];
  for (const [sql, expected] of cases) {
    it(`${sql} gives ${JSON.stringify(expected)}`, async () => {
      assert.strictEqual(await one(engine(), sql), expected);
    });
  }

  it("reads text parameters as the type their context needs", async () => {
    const e = engine();
    assert.deepStrictEqual(await row(e, "SELECT $1::INT + 1, $2 = 3, $3", ["41", "3", "plain"]), ["42", "t", "plain"]);
  });
});

describe("sim/sql: expression errors", () => {
  const cases: [string, string, RegExp][] = [
    ["SELECT 'abc'::INT", "22P02", /^could not parse "abc" as type int$/],
    ["SELECT 'x'::DECIMAL", "22P02", /^could not parse "x" as type decimal$/],
    ["SELECT 1 / 0", "22012", /^division by zero$/],
    ["SELECT 9223372036854775807 + 1", "22003", /^integer out of range$/],
    ["SELECT nosuchfn(1)", "42883", /^unknown function: nosuchfn\(\)$/],
    ["SELECT split_part('a')", "42883", /^unknown signature: split_part\(text\)$/],
    ["SELECT nosuchcol", "42703", /^column "nosuchcol" does not exist$/],
    ["SELECT * FROM nosuchtable", "42P01", /^relation "nosuchtable" does not exist$/],
    ["SELECT * FROM crdb_internal.nosuch", "42P01", /^relation "crdb_internal.nosuch" does not exist$/],
    ["SELECT 1 = 'a'::STRING", "22023", /^unsupported comparison operator: <int> = <string>$/],
    ["SELECT true + 1", "22023", /^unsupported binary operator: <bool> \+ <int>$/],
    ["SELECT (SELECT 1 UNION ALL SELECT 2)", "21000", /more than one row/],
    ["SELECT $2", "42P02", /placeholder: \$2/],
    ["SELECT count(*) WHERE count(*) > 1", "42803", /aggregate functions are not allowed in WHERE/],
    ["SELECT 'abc'::NOSUCHTYPE", "42704", /^type "nosuchtype" does not exist$/],
  ];
  for (const [sql, code, message] of cases) {
    it(`${sql} fails with ${code}`, async () => {
      const err = await sqlError(engine(), sql);
      assert.strictEqual(err.code, code, err.message);
      assert.match(err.message, message);
    });
  }
});

export type { QueryResult };
