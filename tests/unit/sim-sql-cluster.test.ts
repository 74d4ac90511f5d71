/**
 * Cluster-level statements go to ClusterHooks: SHOW/SET/RESET CLUSTER
 * SETTING (column named after the setting, CockroachDB's validation and
 * unknown-setting errors), SHOW CLUSTER SETTINGS, BACKUP; session variables
 * are kept per session.
 */
import * as assert from "assert";
import { toPgText } from "../../sim/pgwire/text-format";
import { PgSession, SqlError } from "../../sim/pgwire/types";
import { MemoryTableStore, SqlEngine } from "../../sim/sql";
import { FakeCluster } from "../support/fake-sql-cluster";

const session: PgSession = { user: "root", database: "defaultdb", applicationName: "app1", remoteAddress: "127.0.0.1:1" };

function setup(): { cluster: FakeCluster; e: SqlEngine } {
  const cluster = new FakeCluster([]);
  return { cluster, e: new SqlEngine(cluster, new MemoryTableStore()) };
}

async function show(e: SqlEngine, sql: string, s: PgSession = session): Promise<{ name: string; value: string | null }> {
  const [r] = await e.execute(sql, [], s);
  return { name: r.columns[0].name, value: toPgText(r.rows[0][0], r.columns[0].type) };
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

describe("sim/sql: cluster settings", () => {
  it("SHOW CLUSTER SETTING returns one column named after the setting", async () => {
    const { e } = setup();
    assert.deepStrictEqual(await show(e, "SHOW CLUSTER SETTING version"), { name: "version", value: "23.1" });
    assert.deepStrictEqual(await show(e, "SHOW CLUSTER SETTING cluster.preserve_downgrade_option"), {
      name: "cluster.preserve_downgrade_option",
      value: "",
    });
    assert.deepStrictEqual(await show(e, "show cluster setting CLUSTER.AUTO_UPGRADE.ENABLED"), {
      name: "cluster.auto_upgrade.enabled",
      value: "t",
    });
    assert.deepStrictEqual(await show(e, "SHOW CLUSTER SETTING server.shutdown.drain_wait"), {
      name: "server.shutdown.drain_wait",
      value: "00:00:00",
    });
  });

  it("SET CLUSTER SETTING passes the evaluated value to the cluster and RESET passes null", async () => {
    const { e, cluster } = setup();
    const [r] = await e.execute("SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'", [], session);
    assert.strictEqual(r.command, "SET CLUSTER SETTING");
    assert.strictEqual(cluster.settings.get("cluster.preserve_downgrade_option")!.value, "23.1");
    await e.execute("SET CLUSTER SETTING cluster.auto_upgrade.enabled TO false", [], session);
    assert.strictEqual(cluster.settings.get("cluster.auto_upgrade.enabled")!.value, false);
    await e.execute("RESET CLUSTER SETTING cluster.preserve_downgrade_option", [], session);
    assert.strictEqual(cluster.settings.get("cluster.preserve_downgrade_option")!.value, "");
    await e.execute("SET CLUSTER SETTING version = crdb_internal.node_executable_version()", [], session);
    assert.strictEqual(cluster.settings.get("version")!.value, "23.1");
  });

  it("surfaces the cluster's validation error unchanged", async () => {
    const { e } = setup();
    const err = await fails(e, "SET CLUSTER SETTING cluster.preserve_downgrade_option = '22.2'");
    assert.strictEqual(err.message, "cannot set cluster.preserve_downgrade_option to 22.2 (cluster version is 23.1)");
  });

  it("reports unknown settings as CockroachDB does for SHOW and for SET", async () => {
    const { e } = setup();
    const showErr = await fails(e, "SHOW CLUSTER SETTING no.such.setting");
    assert.deepStrictEqual([showErr.code, showErr.message], ["XXUUU", 'unknown setting: "no.such.setting"']);
    const setErr = await fails(e, "SET CLUSTER SETTING no.such.setting = 1");
    assert.deepStrictEqual([setErr.code, setErr.message], ["XXUUU", "unknown cluster setting 'no.such.setting'"]);
  });

  it("SHOW CLUSTER SETTINGS lists variable, value, setting_type, description", async () => {
    const { e } = setup();
    const [r] = await e.execute("SHOW CLUSTER SETTINGS", [], session);
    assert.deepStrictEqual(
      r.columns.map((c) => c.name),
      ["variable", "value", "setting_type", "description"],
    );
    assert.deepStrictEqual(
      r.rows.map((x) => x[0]),
      ["cluster.auto_upgrade.enabled", "cluster.preserve_downgrade_option", "server.shutdown.drain_wait", "version"],
    );
  });

  it("delegates BACKUP verbatim and returns the cluster's result", async () => {
    const { e, cluster } = setup();
    const [r] = await e.execute("BACKUP INTO 'external://backups' AS OF SYSTEM TIME '-10s';", [], session);
    assert.deepStrictEqual(cluster.backups, ["BACKUP INTO 'external://backups' AS OF SYSTEM TIME '-10s'"]);
    assert.strictEqual(r.columns[1].name, "status");
    assert.strictEqual(r.rows[0][1], "succeeded");
  });
});

describe("sim/sql: session variables", () => {
  it("records SET per session and shows it back; other sessions keep defaults", async () => {
    const { e } = setup();
    const other: PgSession = { ...session, applicationName: undefined };
    assert.deepStrictEqual(await show(e, "SHOW application_name"), { name: "application_name", value: "app1" });
    await e.execute("SET application_name = 'rollout'; SET statement_timeout = $1", ["10s"], session);
    assert.deepStrictEqual(await show(e, "SHOW application_name"), { name: "application_name", value: "rollout" });
    assert.deepStrictEqual(await show(e, "SHOW statement_timeout"), { name: "statement_timeout", value: "10s" });
    assert.deepStrictEqual(await show(e, "SHOW application_name", other), { name: "application_name", value: "" });
    await e.execute("RESET statement_timeout", [], session);
    assert.deepStrictEqual(await show(e, "SHOW statement_timeout"), { name: "statement_timeout", value: "0" });
  });

  it("answers the variables drivers ask about", async () => {
    const { e } = setup();
    assert.strictEqual((await show(e, "SHOW server_version")).value, "13.0.0");
    assert.strictEqual((await show(e, "SHOW TRANSACTION ISOLATION LEVEL")).value, "serializable");
    assert.strictEqual((await show(e, "SHOW database")).value, "defaultdb");
    assert.strictEqual((await show(e, "SHOW TIME ZONE")).value, "UTC");
    await e.execute("SET datestyle = ISO, MDY; SET TIME ZONE 'UTC'", [], session);
  });

  it("rejects unknown and read-only variables", async () => {
    const { e } = setup();
    assert.deepStrictEqual(await fails(e, "SET no_such_var = 1").then((x) => [x.code, x.message]), [
      "42704",
      'unrecognized configuration parameter "no_such_var"',
    ]);
    assert.strictEqual((await fails(e, "SET server_version = '9'")).code, "55P02");
  });

  it("accepts transaction control with the right command tags", async () => {
    const { e } = setup();
    const r = await e.execute("BEGIN; SELECT 1; COMMIT; BEGIN TRANSACTION; ROLLBACK", [], session);
    assert.deepStrictEqual(
      r.map((x) => x.command),
      ["BEGIN", "SELECT", "COMMIT", "BEGIN", "ROLLBACK"],
    );
  });
});
