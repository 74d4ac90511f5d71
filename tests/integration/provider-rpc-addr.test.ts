/**
 * Nodes started with a separate --sql-addr (SQL on :26257, RPC alone on
 * :26357). The sim's RPC commands refuse the SQL port as CockroachDB's CLI
 * does ("server closed the connection"), and the provider drains and zips
 * through the RPC address taken from the start flags: a patch upgrade with
 * the debug-zip hook rolls every node. (With the SQL address as --host, the
 * provider's first drain failed.)
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCockroach, startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";

describe("separate SQL and RPC ports (--sql-addr)", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let tmp: string;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.140.10", timeScale: 0.1, splitSql: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rpc-addr-"));
  });

  after(async () => {
    await sim?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the sim's RPC commands fail on the SQL port and work on the RPC port; SQL commands use the SQL port", async () => {
    const n = sim.providerNodes[0];
    const rpc = n.sqlAddr.replace(/:26257$/, ":26357");
    const drainAtSql = await runCockroach(n.binaryPath, [
      "node",
      "drain",
      "--self",
      `--host=${n.sqlAddr}`,
      "--insecure",
      "--drain-wait=5s",
    ]);
    assert.notStrictEqual(drainAtSql.code, 0);
    assert.match(drainAtSql.stderr, /ERROR: server closed the connection\.\nIs this a CockroachDB node\?/);
    const zipAtSql = await runCockroach(n.binaryPath, ["debug", "zip", path.join(tmp, "sql.zip"), `--host=${n.sqlAddr}`, "--insecure"]);
    assert.notStrictEqual(zipAtSql.code, 0);
    assert.match(zipAtSql.stderr, /server closed the connection/);
    const zipAtRpc = await runCockroach(n.binaryPath, ["debug", "zip", path.join(tmp, "rpc.zip"), `--host=${rpc}`, "--insecure"]);
    assert.strictEqual(zipAtRpc.code, 0, zipAtRpc.stderr);
    assert.match(zipAtRpc.stderr, new RegExp(`using SQL address: ${n.sqlAddr.replace(/\./g, "\\.")}`));
    const statusAtSql = await runCockroach(n.binaryPath, ["node", "status", `--host=${n.sqlAddr}`, "--insecure", "--format=tsv"]);
    assert.strictEqual(statusAtSql.code, 0, statusAtSql.stderr);
    assert.match(statusAtSql.stdout, /127\.0\.140\.11:26357\t127\.0\.140\.11:26257/, "gossip: RPC address, then SQL address");
  });

  it("the provider drains and zips through the RPC address from the start flags: a patch upgrade rolls every node", async () => {
    const rel = sim.buildRelease(TO);
    const served = await sim.serveReleases(rel.dir);
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
    const zip = path.join(tmp, "hook.zip");
    const up = await converge("crdb-rpc", adopt.outs, inputsFor(sim, TO, served.url, { hooks: { debugZip: zip } }));
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.ok(fs.statSync(zip).size > 0, "the debug-zip hook wrote its file through the RPC address");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => [f.binary, f.alive]),
      sim.providerNodes.map(() => [TO, true]),
    );
    assert.strictEqual(up.lines.filter((l) => / drain done/.test(l)).length, 3, up.lines.join("\n"));
  });
});
