/**
 * A virtualized cluster whose plain connections land in the application
 * virtual cluster "main" (server.controller.default_target_cluster, as
 * `cockroach init --virtualized` leaves it). The sim answers as CockroachDB
 * does: SHOW virtual_cluster_name says "main" and the gossip tables fail with
 * 0A000 "operation is unsupported within a virtual cluster"; with
 * options=-ccluster=system the session is in the system virtual cluster. The
 * provider notices and reconnects with that option: a patch upgrade rolls
 * every node. (Before, its first gossip read failed.)
 */
import * as assert from "assert";
import { Client } from "pg";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts } from "../support/provider-harness";

const FROM = "v24.1.2";
const TO = "v24.1.3";

async function session<T>(sqlAddr: string, options: string | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
  const i = sqlAddr.lastIndexOf(":");
  const c = new Client({
    host: sqlAddr.slice(0, i),
    port: Number(sqlAddr.slice(i + 1)),
    user: "root",
    database: "defaultdb",
    ...(options !== undefined && { options }),
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe("virtualized cluster: sessions landing in an application virtual cluster", function () {
  this.timeout(300_000);
  let sim: SimCluster | undefined;

  after(async () => {
    await sim?.stop();
  });

  it("the sim routes by default_target_cluster and -ccluster=; the provider upgrades through the system virtual cluster", async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.146.10", timeScale: 0.1 });
    const served = await sim.serveReleases(sim.buildRelease(TO).dir);
    const addr = sim.providerNodes[0].sqlAddr;
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
    await session(addr, undefined, (c) => c.query("SET CLUSTER SETTING server.controller.default_target_cluster = 'main'"));

    await session(addr, undefined, async (c) => {
      assert.strictEqual((await c.query("SHOW virtual_cluster_name")).rows[0].virtual_cluster_name, "main");
      const e = await c.query("SELECT node_id FROM crdb_internal.gossip_liveness").then(
        () => undefined,
        (err: { code?: string; message: string }) => err,
      );
      assert.strictEqual(e?.code, "0A000");
      assert.strictEqual(e?.message, "operation is unsupported within a virtual cluster");
    });
    await session(addr, "-ccluster=system", async (c) => {
      assert.strictEqual((await c.query("SHOW virtual_cluster_name")).rows[0].virtual_cluster_name, "system");
      assert.strictEqual((await c.query("SELECT node_id FROM crdb_internal.gossip_liveness")).rows.length, 3);
    });

    const up = await converge("crdb-vc", adopt.outs, inputsFor(sim, TO, served.url));
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
    );
  });
});
