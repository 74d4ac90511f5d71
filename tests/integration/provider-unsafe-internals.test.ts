/**
 * The v26.1 guard on crdb_internal and system. The sim refuses as
 * CockroachDB does: a v26.1 session reading crdb_internal without
 * `allow_unsafe_internals` gets 42501 with CockroachDB's message and hint; a
 * v25.3 node does not know the variable (42704). The provider sets the
 * variable only where it exists: it adopts a v25.3 cluster, and a major
 * upgrade v25.4 -> v26.1 with auto finalization rolls every node and
 * finalizes, its gates reading crdb_internal on v26.1 gateways throughout.
 * (Without the session setup, the first gate read on a v26.1 node failed.)
 */
import * as assert from "assert";
import { Client } from "pg";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts } from "../support/provider-harness";

const OLD = "v25.3.2";
const FROM = "v25.4.1";
const TO = "v26.1.0";

async function withClient<T>(sqlAddr: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const [host, port] = [sqlAddr.slice(0, sqlAddr.lastIndexOf(":")), Number(sqlAddr.slice(sqlAddr.lastIndexOf(":") + 1))];
  const c = new Client({ host, port, user: "root", database: "defaultdb", connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function sqlError(c: Client, text: string): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await c.query(text);
  } catch (e) {
    return e as { code?: string; message: string; hint?: string };
  }
  throw new Error(`expected ${text} to fail`);
}

describe("crdb_internal guarded from v26.1 (allow_unsafe_internals)", function () {
  this.timeout(300_000);
  let sim: SimCluster | undefined;

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it("a v25.3 node refuses the variable; the provider adopts the cluster all the same", async () => {
    sim = await startSimCluster({ nodes: 1, version: OLD, baseIp: "127.0.142.10", timeScale: 0.1 });
    const e = await withClient(sim.providerNodes[0].sqlAddr, (c) => sqlError(c, "SET allow_unsafe_internals = true"));
    assert.strictEqual(e.code, "42704");
    assert.strictEqual(e.message, 'unrecognized configuration parameter "allow_unsafe_internals"');
    const adopt = await converge("", undefined, inputsFor(sim, OLD, "http://127.0.0.1:1"));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
    assert.strictEqual(adopt.outs?.nodeStatuses[0].version, OLD);
  });

  it("v25.4 -> v26.1 through the provider; a v26.1 session without the variable is refused with CockroachDB's 42501", async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.141.10", timeScale: 0.1 });
    const served = await sim.serveReleases(sim.buildRelease(TO).dir);
    const on254 = await withClient(sim.providerNodes[0].sqlAddr, (c) => c.query("SHOW allow_unsafe_internals"));
    assert.strictEqual(on254.rows[0].allow_unsafe_internals, "on", "v25.4: the variable exists and allows by default");

    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
    const up = await converge("crdb-g", adopt.outs, inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "auto" }) }));
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
    );
    assert.strictEqual(up.outs?.clusterVersion, "26.1");
    assert.strictEqual(up.outs?.finalized, true);

    await withClient(sim.providerNodes[1].sqlAddr, async (c) => {
      const refused = await sqlError(c, "SELECT node_id FROM crdb_internal.gossip_nodes");
      assert.strictEqual(refused.code, "42501");
      assert.strictEqual(refused.message, "Access to crdb_internal and system is restricted.");
      assert.match(refused.hint ?? "", /set the session variable allow_unsafe_internals = true \(not recommended\)/);
      assert.strictEqual((await sqlError(c, "SELECT * FROM system.settings")).code, "42501");
      // Supported surfaces stay open without it.
      assert.strictEqual((await c.query("SHOW CLUSTER SETTING version")).rows[0].version, "26.1");
      await c.query("SET allow_unsafe_internals = true");
      assert.strictEqual((await c.query("SELECT node_id FROM crdb_internal.gossip_nodes")).rows.length, 3);
    });
  });
});
