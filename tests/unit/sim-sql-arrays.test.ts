/**
 * INT8[] and STRING[] in the simulator's SQL engine, as the crdb_internal
 * range tables need them: PostgreSQL's array text form, casts, ARRAY[...],
 * subscripts, array_length/cardinality/array_position/array_to_string,
 * `= ANY(...)` / `ALL(...)` with three-valued logic, unnest() in the select
 * list, array_agg, and array columns in user tables.
 */
import * as assert from "assert";
import { toPgText } from "../../sim/pgwire/text-format";
import { PgSession, SqlError, TYPE_OIDS } from "../../sim/pgwire/types";
import { MemoryTableStore, SqlEngine } from "../../sim/sql";
import { parseArrayText } from "../../sim/sql/arrays";
import { FakeCluster } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "defaultdb", remoteAddress: "127.0.0.1:1" };

function engine(): SqlEngine {
  return new SqlEngine(new FakeCluster([]), new MemoryTableStore());
}

/** The last statement's rows, cells in pgwire text form, with "name:type" headers. */
async function table(e: SqlEngine, sql: string): Promise<{ columns: string[]; rows: (string | null)[][] }> {
  const results = await e.execute(sql, [], session);
  const r = results[results.length - 1];
  return {
    columns: r.columns.map((c) => `${c.name}:${c.type}`),
    rows: r.rows.map((row) => row.map((v, i) => toPgText(v, r.columns[i].type))),
  };
}

async function sqlError(e: SqlEngine, sql: string): Promise<SqlError> {
  try {
    await e.execute(sql, [], session);
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected SqlError, got ${String(err)}`);
    return err;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("sim/sql: arrays", () => {
  it("sends int8[] as OID 1016 and text[] as 1009, printed in PostgreSQL's array text form", async () => {
    assert.strictEqual(TYPE_OIDS["int8[]"], 1016);
    assert.strictEqual(TYPE_OIDS["text[]"], 1009);
    assert.deepStrictEqual(
      await table(engine(), "SELECT ARRAY[1,2,3] AS a, ARRAY['region=a,zone=1','c',NULL,''] AS b, '{4, 5}'::INT[] AS c"),
      {
        columns: ["a:int8[]", "b:text[]", "c:int8[]"],
        rows: [["{1,2,3}", '{"region=a,zone=1",c,NULL,""}', "{4,5}"]],
      },
    );
  });

  it("parses quoted elements, escapes and NULLs, and refuses malformed text with 22P02", async () => {
    assert.deepStrictEqual(parseArrayText('{"a \\"b\\"", c , NULL}', "text").elements, ['a "b"', "c", null]);
    assert.deepStrictEqual(parseArrayText("{}", "int8").elements, []);
    assert.strictEqual((await sqlError(engine(), "SELECT '{1,x}'::INT[]")).code, "22P02");
    assert.strictEqual(
      (await sqlError(engine(), "SELECT '1,2'::INT[]")).message,
      'could not parse "1,2" as type int[]: array must be enclosed in { and }',
    );
  });

  it("measures arrays like PostgreSQL: array_length and array_upper are NULL for an empty array, cardinality is 0", async () => {
    assert.deepStrictEqual(
      (
        await table(
          engine(),
          "SELECT array_length(ARRAY[7,8,9], 1), array_length('{}'::INT[], 1), array_length(ARRAY[1], 2), cardinality('{}'::INT[]), array_upper(ARRAY[1,2], 1), array_lower(ARRAY[1,2], 1)",
        )
      ).rows,
      [["3", null, null, "0", "2", "1"]],
    );
    assert.deepStrictEqual(
      (
        await table(
          engine(),
          "SELECT (ARRAY[5,6,7])[2], (ARRAY[5])[9], array_position(ARRAY[3,4], 4), array_to_string(ARRAY['a',NULL,'b'], '-'), array_to_string(ARRAY['a',NULL], ',', '*')",
        )
      ).rows,
      [["6", null, "2", "a-b", "a,*"]],
    );
  });

  it("evaluates = ANY and < ALL over arrays and subqueries with three-valued logic", async () => {
    assert.deepStrictEqual(
      (
        await table(
          engine(),
          "SELECT 2 = ANY(ARRAY[1,2]), 3 = ANY(ARRAY[1,2]), 3 = ANY(ARRAY[1,NULL]), 1 < ALL(ARRAY[2,3]), 1 = ANY('{}'::INT[]), 1 = ALL('{}'::INT[]), 1 = SOME('{1,2}')",
        )
      ).rows,
      [["t", "f", null, "t", "f", "t", "t"]],
    );
    assert.deepStrictEqual((await table(engine(), "SELECT 2 = ANY(SELECT 1 UNION ALL SELECT 2)")).rows, [["t"]]);
    assert.strictEqual((await sqlError(engine(), "SELECT 1 = ANY(5)")).code, "42809");
  });

  it("expands unnest() in the select list into one row per element, repeating the other items", async () => {
    assert.deepStrictEqual(
      await table(
        engine(),
        "SELECT x, unnest(ARRAY[10,20]) AS store_id FROM (SELECT 1 AS x UNION ALL SELECT 2) t ORDER BY store_id DESC, x",
      ),
      {
        columns: ["x:int8", "store_id:int8"],
        rows: [
          ["1", "20"],
          ["2", "20"],
          ["1", "10"],
          ["2", "10"],
        ],
      },
    );
    assert.deepStrictEqual((await table(engine(), "SELECT unnest('{}'::INT[])")).rows, []);
    assert.strictEqual((await sqlError(engine(), "SELECT unnest(ARRAY[1]) + 1")).code, "0A000");
  });

  it("aggregates INT and STRING values into arrays with array_agg", async () => {
    assert.deepStrictEqual(await table(engine(), "SELECT array_agg(x) AS xs FROM (SELECT 3 AS x UNION ALL SELECT 1) t"), {
      columns: ["xs:int8[]"],
      rows: [["{3,1}"]],
    });
  });

  it("stores array columns in user tables and filters them with ANY", async () => {
    const e = engine();
    await e.execute(
      "CREATE TABLE placement (id INT PRIMARY KEY, stores INT[]); INSERT INTO placement VALUES (1, ARRAY[1,2,3]), (2, '{2,4}')",
      [],
      session,
    );
    assert.deepStrictEqual((await table(e, "SELECT id, stores FROM placement WHERE 4 = ANY(stores)")).rows, [["2", "{2,4}"]]);
    assert.deepStrictEqual((await table(e, "SELECT stores::STRING[], stores = ARRAY[1,2,3] FROM placement ORDER BY id")).rows, [
      ["{1,2,3}", "t"],
      ["{2,4}", "f"],
    ]);
  });

  it("refuses arrays of types the simulator does not model, and subscripts of non-arrays", async () => {
    assert.strictEqual((await sqlError(engine(), "SELECT ARRAY[1.5]")).code, "0A000");
    assert.strictEqual((await sqlError(engine(), "SELECT (1)[1]")).code, "42804");
  });
});
