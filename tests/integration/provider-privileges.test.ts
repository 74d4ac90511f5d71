/**
 * The SQL user's privileges. A user that is not admin cannot read the
 * gossip tables: before v24.3 CockroachDB requires the admin role, from
 * v24.3 the VIEWCLUSTERMETADATA system privilege. The sim refuses with
 * CockroachDB's messages, and the provider's pre-flight fails with nothing
 * touched, naming the user and what to grant.
 */
import * as assert from "assert";
import { Client } from "pg";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts } from "../support/provider-harness";

async function asRoot(sqlAddr: string, text: string): Promise<void> {
  const i = sqlAddr.lastIndexOf(":");
  const c = new Client({ host: sqlAddr.slice(0, i), port: Number(sqlAddr.slice(i + 1)), user: "root", database: "defaultdb" });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Adopted as root, then a patch upgrade as `upgrader`: the message of the refusal (thrown or reported as a failure). */
async function upgradeAsUpgrader(sim: SimCluster, from: string, to: string): Promise<string> {
  const adopt = await converge("", undefined, inputsFor(sim, from, "http://127.0.0.1:1"));
  assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
  try {
    const up = await converge(
      "crdb-p",
      adopt.outs,
      inputsFor(sim, to, "http://127.0.0.1:1", { sql: { insecure: true, user: "upgrader" } }),
    );
    assert.ok(up.failure, `an upgrade as a user without the privilege must fail:\n${up.lines.join("\n")}`);
    return up.failure.message;
  } catch (e) {
    return (e as Error).message;
  }
}

describe("privileges of the provider's SQL user", function () {
  this.timeout(120_000);
  let sim: SimCluster | undefined;

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  for (const [version, to, baseIp, refusal] of [
    ["v24.1.5", "v24.1.6", "127.0.143.10", /only users with the admin role are allowed to read crdb_internal\.gossip_liveness/],
    ["v24.3.1", "v24.3.2", "127.0.144.10", /user upgrader does not have VIEWCLUSTERMETADATA system privilege/],
  ] as const) {
    it(`${version}: a non-admin user is refused at pre-flight with what to grant; nothing touched`, async () => {
      sim = await startSimCluster({ nodes: 1, version, baseIp, timeScale: 0.1 });
      await asRoot(sim.providerNodes[0].sqlAddr, "CREATE USER upgrader");
      const before = nodeFacts(sim);
      const message = await upgradeAsUpgrader(sim, version, to);
      assert.match(message, refusal);
      assert.match(message, /the SQL user "upgrader" lacks a privilege the provider needs: VIEWCLUSTERMETADATA/);
      assert.match(message, /GRANT SYSTEM VIEWCLUSTERMETADATA, VIEWCLUSTERSETTING, MODIFYCLUSTERSETTING TO upgrader/);
      assert.deepStrictEqual(nodeFacts(sim), before, "nothing touched");
    });
  }
});
