/**
 * Version behaviour of a running sim cluster across binary swaps (reference
 * §5): wrong-binary refusals at start, auto-finalization and what blocks it
 * (preserve_downgrade_option, cluster.auto_upgrade.enabled, a non-live
 * node) with CockroachDB's log lines, the transition strings shown while it
 * runs, and old binaries refused afterwards.
 * Loopback range: 127.0.15.x.
 */
import * as assert from "assert";
import { SimCluster, startSimCluster, waitFor } from "../support/sim-cluster";
import { sqlAt as sql } from "../support/cluster-sql";

async function clusterVersion(hostPort: string): Promise<string> {
  return String((await sql(hostPort, "SHOW CLUSTER SETTING version"))[0].version);
}

/** Every distinct value of SHOW CLUSTER SETTING version until it reads `final`. */
async function versionsUntil(hostPort: string, final: string, timeoutMs = 20_000): Promise<string[]> {
  const seen: string[] = [];
  await waitFor(
    `cluster version ${final}`,
    async () => {
      const v = await clusterVersion(hostPort);
      if (seen[seen.length - 1] !== v) seen.push(v);
      return v === final ? true : undefined;
    },
    timeoutMs,
    20,
  );
  return seen;
}

/** Swaps node `name` to `tarball` and restarts it; returns the start result. */
async function roll(c: SimCluster, name: string, tarball: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (c.killNode(name, "SIGTERM") !== undefined) await c.waitForExit(name);
  c.installRelease(name, tarball);
  return c.startNode(name);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("sim versions (binary swaps and finalization)", function () {
  this.timeout(120_000);

  describe("v23.1 -> v23.2", () => {
    let c: SimCluster;
    let v231: string;
    let v232: string;
    before(async () => {
      c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.15.10", timeScale: 0.1 });
      v231 = c.buildRelease("v23.1.11").tarball;
      v232 = c.buildRelease("v23.2.5").tarball;
    });
    after(async () => c?.stop());

    it("refuses to start a binary that skips a series, with CockroachDB's too-old message, non-zero exit", async () => {
      const r = await roll(c, "n1", c.buildRelease("v24.1.2").tarball);
      assert.strictEqual(r.code, 1);
      assert.strictEqual(
        r.stderr,
        'ERROR: store last used with cockroach version v23.1 is too old for running version v24.1 (which requires data from v23.2 or later)\nFailed running "start"\n',
      );
      assert.strictEqual((await roll(c, "n1", v231)).code, 0);
    });

    it("holds finalization while preserve_downgrade_option pins the cluster version, logging why", async () => {
      await sql("127.0.15.11:26257", "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'");
      assert.strictEqual((await roll(c, "n1", v232)).code, 0);
      await assert.rejects(
        sql("127.0.15.11:26257", "SET CLUSTER SETTING version = '23.2'"),
        // The option is checked before the nodes' versions (clusterversion/setting.go validateVersionUpgrade).
        /cannot upgrade to 23\.2: cluster\.preserve_downgrade_option is set to 23\.1/,
      );
      for (const n of ["n2", "n3"]) assert.strictEqual((await roll(c, n, v232)).code, 0);
      await sleep(4000); // past the auto-upgrade loop's longest backoff (30 s scaled)
      assert.strictEqual(await clusterVersion("127.0.15.12:26257"), "23.1");
      assert.match(
        c.nodeLog("n1"),
        /failed attempt to upgrade cluster version: not all nodes are running the latest version yet \(saw 23\.2 and 23\.1\)/,
      );
      assert.match(c.nodeLog("n3"), /auto upgrade is disabled for current version \(preserve_downgrade_option\): 23\.1/);
    });

    it("finalizes once the option is reset, passing through 23.1-N versions, and then refuses the old binary", async () => {
      await sql("127.0.15.13:26257", "RESET CLUSTER SETTING cluster.preserve_downgrade_option");
      const seen = await versionsUntil("127.0.15.13:26257", "23.2");
      assert.ok(
        seen.some((v) => /^23\.1-\d+$/.test(v)),
        `saw ${JSON.stringify(seen)}`,
      );
      assert.ok(["n1", "n2", "n3"].some((n) => /successfully upgraded cluster version/.test(c.nodeLog(n))));
      await sleep(600); // one heartbeat: the stores record the new version
      const r = await roll(c, "n2", v231);
      assert.strictEqual(r.code, 1);
      assert.strictEqual(
        r.stderr,
        'ERROR: store last used with cockroach version v23.2 is too high for running version v23.1\nFailed running "start"\n',
      );
      assert.strictEqual((await roll(c, "n2", v232)).code, 0);
    });
  });

  describe("v23.2 -> v24.1", () => {
    let c: SimCluster;
    before(async () => {
      c = await startSimCluster({ nodes: 3, version: "v23.2.5", baseIp: "127.0.15.20", timeScale: 0.1 });
    });
    after(async () => c?.stop());

    it("holds finalization with cluster.auto_upgrade.enabled = false, logging why", async () => {
      await sql("127.0.15.21:26257", "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false");
      const v241 = c.buildRelease("v24.1.2").tarball;
      for (const n of ["n1", "n2", "n3"]) assert.strictEqual((await roll(c, n, v241)).code, 0);
      await sleep(4000);
      assert.strictEqual(await clusterVersion("127.0.15.21:26257"), "23.2");
      assert.match(c.nodeLog("n2"), /auto upgrade is disabled by \(cluster\.auto_upgrade\.enabled\)/);
    });

    it("is blocked by a node that is not live, and manual finalization is refused meanwhile", async () => {
      c.killNode("n3", "SIGKILL");
      await c.waitForExit("n3");
      await sleep(1200); // n3's liveness expires (0.9 s)
      await assert.rejects(sql("127.0.15.21:26257", "SET CLUSTER SETTING version = '24.1'"), /nodes n3 required, but unavailable/);
      await sql("127.0.15.21:26257", "SET CLUSTER SETTING cluster.auto_upgrade.enabled = true");
      await sleep(4000);
      assert.strictEqual(await clusterVersion("127.0.15.22:26257"), "23.2");
      assert.match(
        c.nodeLog("n1") + c.nodeLog("n2"),
        /failed attempt to upgrade cluster version, error: node 3 not running \(UNAVAILABLE\), cannot determine version/,
      );
    });

    it("finalizes when the node is back, through -upgrading-to-24.1-step-NNN and -upgrading-final-step", async () => {
      assert.strictEqual((await c.startNode("n3")).code, 0);
      const seen = await versionsUntil("127.0.15.21:26257", "24.1");
      assert.ok(
        seen.some((v) => /^23\.2-upgrading-to-24\.1-step-\d{3}$/.test(v)),
        `saw ${JSON.stringify(seen)}`,
      );
      assert.ok(seen.includes("24.1-upgrading-final-step"), `saw ${JSON.stringify(seen)}`);
      assert.deepStrictEqual(await sql("127.0.15.23:26257", "SELECT crdb_internal.node_executable_version() AS v"), [{ v: "24.1" }]);
    });
  });
});
