/**
 * Major-version steps on a running sim cluster (reference §5), each with a
 * manual finalization (`SET CLUSTER SETTING version = 'X'`):
 * 23.1 -> 23.2 (held by preserve_downgrade_option, `23.1-N` transition
 * versions), 23.2 -> 24.1 (held by cluster.auto_upgrade.enabled = false,
 * `-upgrading-to-24.1-step-NNN` and `24.1-upgrading-final-step`), and
 * 24.1 -> 24.3 skipping the Innovation release 24.2; wrong binaries refused
 * at start with CockroachDB's messages before and after each finalization;
 * and a 23.2 roll rolled back to 23.1 before finalization.
 * Loopback range: 127.0.19.x.
 */
import * as assert from "assert";
import { licenseKey } from "../support/license-keys";
import { CommandResult, SimCluster, startSimCluster, waitFor } from "../support/sim-cluster";
import { sqlAt as sql } from "../support/cluster-sql";

async function clusterVersion(hostPort: string): Promise<string> {
  return String((await sql(hostPort, "SHOW CLUSTER SETTING version"))[0].version);
}

/** Runs a manual finalization while sampling SHOW CLUSTER SETTING version from another node; returns every value seen. */
async function finalizeManually(gateway: string, observer: string, target: string): Promise<string[]> {
  const seen: string[] = [];
  let done = false;
  const sampling = (async () => {
    while (!done) {
      const v = await clusterVersion(observer);
      if (seen[seen.length - 1] !== v) seen.push(v);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  try {
    await sql(gateway, `SET CLUSTER SETTING version = '${target}'`);
  } finally {
    done = true;
    await sampling;
  }
  const final = await clusterVersion(observer);
  if (seen[seen.length - 1] !== final) seen.push(final);
  return seen;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Swaps the node to `tarball` (SIGTERM, install, start) and returns the start result. */
async function roll(c: SimCluster, name: string, tarball: string): Promise<CommandResult> {
  if (c.killNode(name, "SIGTERM") !== undefined) await c.waitForExit(name);
  c.installRelease(name, tarball);
  return c.startNode(name);
}

async function rollAll(c: SimCluster, tarball: string): Promise<void> {
  for (const n of c.nodes) {
    const r = await roll(c, n.name, tarball);
    assert.strictEqual(r.code, 0, `${n.name}: ${r.stderr}`);
  }
}

/** Waits until every store recorded the cluster version (one heartbeat), so a start checks against it. */
async function storesRecorded(c: SimCluster, version: string): Promise<void> {
  await waitFor(`every node log says it wrote cluster version ${version}`, async () =>
    c.nodes.every((n) => c.nodeLog(n.name).includes(`wrote cluster version ${version} to store`)) ? true : undefined,
  );
}

const refusal = (r: CommandResult): string => r.stderr.replace(/\nFailed running "start"\n$/, "");

describe("sim major upgrades (manual finalization, skip rules, rollback)", function () {
  this.timeout(180_000);

  describe("23.1 -> 23.2 -> 24.1 -> 24.3", () => {
    let c: SimCluster;
    const H1 = "127.0.19.11:26257";
    const H2 = "127.0.19.12:26257";
    const H3 = "127.0.19.13:26257";
    let tar: Record<string, string>;
    before(async () => {
      c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.19.10", timeScale: 0.1 });
      tar = Object.fromEntries(
        ["v23.1.11", "v23.2.5", "v24.1.2", "v24.2.3", "v24.3.1", "v25.1.0"].map((v) => [v, c.buildRelease(v).tarball]),
      );
    });
    after(async () => c?.stop());

    it("23.1 -> 23.2: held by preserve_downgrade_option, finalized by SET CLUSTER SETTING version through 23.1-N", async () => {
      await sql(H1, "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'");
      const early = await roll(c, "n1", tar["v23.2.5"]);
      assert.strictEqual(early.code, 0, early.stderr);
      // CR clusterversion/setting.go validateVersionUpgrade: refused while the option is set, before any node check.
      const held = /^error: cannot upgrade to 23\.2: cluster\.preserve_downgrade_option is set to 23\.1$/;
      await assert.rejects(sql(H1, "SET CLUSTER SETTING version = '23.2'"), held);
      await rollAll(c, tar["v23.2.5"]);
      await sleep(3500); // past the auto-upgrade loop's longest backoff (30 s scaled)
      assert.strictEqual(await clusterVersion(H2), "23.1");
      await assert.rejects(sql(H1, "SET CLUSTER SETTING version = '23.2'"), held);
      // Manual finalization: auto-upgrade off (23.2 binaries know the setting), the option reset, then the statement.
      await sql(H1, "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false");
      await sql(H1, "RESET CLUSTER SETTING cluster.preserve_downgrade_option");
      const seen = await finalizeManually(H1, H2, "23.2");
      assert.ok(
        seen.some((v) => /^23\.1-\d+$/.test(v)),
        `saw ${JSON.stringify(seen)}`,
      );
      assert.strictEqual(seen[seen.length - 1], "23.2");
      assert.deepStrictEqual(await sql(H3, "SHOW CLUSTER SETTING cluster.preserve_downgrade_option"), [
        { "cluster.preserve_downgrade_option": "" },
      ]);
      assert.deepStrictEqual(await sql(H3, "SELECT crdb_internal.active_version() AS v"), [
        { v: { internal: 0, major: 23, minor: 2, patch: 0 } },
      ]);
    });

    it("refuses the 23.1 binary on a store finalized at 23.2, and a 24.2 binary that skips 24.1", async () => {
      await storesRecorded(c, "23.2");
      const old = await roll(c, "n3", tar["v23.1.11"]);
      assert.strictEqual(old.code, 1);
      assert.strictEqual(refusal(old), "ERROR: store last used with cockroach version v23.2 is too high for running version v23.1");
      const skip = await roll(c, "n3", tar["v24.2.3"]);
      assert.strictEqual(skip.code, 1);
      assert.strictEqual(
        refusal(skip),
        "ERROR: store last used with cockroach version v23.2 is too old for running version v24.2 (which requires data from v24.1 or later)",
      );
      assert.strictEqual((await roll(c, "n3", tar["v23.2.5"])).code, 0);
    });

    it("23.2 -> 24.1: held by cluster.auto_upgrade.enabled = false, finalized through -upgrading-to-24.1-step-NNN and the final step", async () => {
      await sql(H1, "SET CLUSTER SETTING cluster.auto_upgrade.enabled = false");
      await rollAll(c, tar["v24.1.2"]);
      await sleep(3500);
      assert.strictEqual(await clusterVersion(H1), "23.2");
      assert.match(c.nodeLog("n2"), /auto upgrade is disabled by \(cluster\.auto_upgrade\.enabled\)/);
      const seen = await finalizeManually(H2, H3, "24.1");
      assert.ok(
        seen.some((v) => /^23\.2-upgrading-to-24\.1-step-\d{3}$/.test(v)),
        `saw ${JSON.stringify(seen)}`,
      );
      assert.ok(seen.includes("24.1-upgrading-final-step"), `saw ${JSON.stringify(seen)}`);
      assert.strictEqual(seen[seen.length - 1], "24.1");
      assert.deepStrictEqual(await sql(H1, "SHOW CLUSTER SETTING cluster.auto_upgrade.enabled"), [
        { "cluster.auto_upgrade.enabled": false },
      ]);
      await storesRecorded(c, "24.1");
      const old = await roll(c, "n1", tar["v23.2.5"]);
      assert.strictEqual(refusal(old), "ERROR: store last used with cockroach version v24.1 is too high for running version v23.2");
      assert.strictEqual((await roll(c, "n1", tar["v24.1.2"])).code, 0);
    });

    it("24.1 -> 24.3 skips the Innovation release 24.2; 25.1 (after an Innovation release) is refused on a 24.1 store", async () => {
      const tooNew = await roll(c, "n2", tar["v25.1.0"]);
      assert.strictEqual(tooNew.code, 1);
      assert.strictEqual(
        refusal(tooNew),
        "ERROR: store last used with cockroach version v24.1 is too old for running version v25.1 (which requires data from v24.3 or later)",
      );
      await rollAll(c, tar["v24.3.1"]);
      await assert.rejects(sql(H1, "SET CLUSTER SETTING version = '25.1'"), /^error: cannot upgrade directly from 24\.1 to 25\.1$/);
      // v24_3_check_license.go: 24.3 is finalized only with a licence installed.
      await assert.rejects(sql(H3, "SET CLUSTER SETTING version = '24.3'"), /upgrade blocked: no license installed/);
      await sql(H1, `SET CLUSTER SETTING enterprise.license = '${licenseKey("Enterprise")}'`);
      const seen = await finalizeManually(H3, H1, "24.3");
      assert.ok(
        seen.some((v) => /^24\.1-upgrading-to-24\.3-step-\d{3}$/.test(v)),
        `saw ${JSON.stringify(seen)}`,
      );
      assert.strictEqual(seen[seen.length - 1], "24.3");
      assert.deepStrictEqual(await sql(H2, "SELECT crdb_internal.node_executable_version() AS v"), [{ v: "24.3" }]);
      await assert.rejects(
        sql(H2, "SET CLUSTER SETTING version = '24.1'"),
        /versions cannot be downgraded \(attempting to downgrade from 24\.3 to 24\.1\)/,
      );
      await storesRecorded(c, "24.3");
      const old = await roll(c, "n3", tar["v24.1.2"]);
      assert.strictEqual(refusal(old), "ERROR: store last used with cockroach version v24.3 is too high for running version v24.1");
      assert.strictEqual((await roll(c, "n3", tar["v24.3.1"])).code, 0);
    });
  });

  describe("a 23.2 roll rolled back before finalization", () => {
    let c: SimCluster;
    const H1 = "127.0.19.21:26257";
    before(async () => {
      c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.19.20", timeScale: 0.1 });
    });
    after(async () => c?.stop());

    it("downgrades every node to 23.1 again while the cluster version is still 23.1, and stays at 23.1 afterwards", async () => {
      const v231 = c.buildRelease("v23.1.11").tarball;
      const v232 = c.buildRelease("v23.2.5").tarball;
      await sql(H1, "SET CLUSTER SETTING cluster.preserve_downgrade_option = '23.1'");
      await rollAll(c, v232);
      assert.deepStrictEqual(await sql(H1, "SELECT crdb_internal.node_executable_version() AS v"), [{ v: "23.2" }]);
      await sleep(2000);
      assert.strictEqual(await clusterVersion(H1), "23.1");
      for (const n of [...c.nodes].reverse()) {
        const r = await roll(c, n.name, v231);
        assert.strictEqual(r.code, 0, `rolling back ${n.name}: ${r.stderr}`);
      }
      assert.deepStrictEqual(await sql(H1, "SELECT crdb_internal.node_executable_version() AS v"), [{ v: "23.1" }]);
      await sql(H1, "RESET CLUSTER SETTING cluster.preserve_downgrade_option");
      await sleep(2000);
      assert.strictEqual(await clusterVersion(H1), "23.1");
      assert.match(c.nodeLog("n1") + c.nodeLog("n2") + c.nodeLog("n3"), /no need to upgrade, cluster already at the newest version/);
      await assert.rejects(sql(H1, "SET CLUSTER SETTING version = '23.2'"), /cannot upgrade to 23\.2: node running 23\.1/);
    });
  });
});
