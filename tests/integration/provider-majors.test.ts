/**
 * Major upgrades where the e2e walk cannot reach cheaply, with the
 * provider's methods called directly against one simulated cluster that
 * climbs v23.2 -> v24.1 -> v24.3:
 * - a failed major roll is rolled back and the operator's own
 *   auto-finalization setting is put back exactly;
 * - with that setting still off, `finalize: auto` restores it and finalizes
 *   with SET CLUSTER SETTING version;
 * - a node that dies the moment the last node is done is named before
 *   finalization starts; nothing is rolled back and the block stays;
 * - the next major is refused while this one is not finalized;
 * - once the node is back, the same update finalizes.
 * And, on a second cluster, an alpha build cannot move to a production release.
 * Each step checks the safety invariants with the monitor.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { licenseKey } from "../support/license-keys";
import { converge, fastStrategy, inputsFor, nodeFacts, prestageOnNode, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";

const V = { "23.2": "v23.2.3", "24.1": "v24.1.2", "24.3": "v24.3.1", "25.2": "v25.2.1" } as const;
const AUTO = "cluster.auto_upgrade.enabled";

/** One statement on the first node that answers SQL, as an operator would run it. */
async function sql(sim: SimCluster, text: string): Promise<string | undefined> {
  let last: Error | undefined;
  for (const n of sim.providerNodes) {
    const [host, port] = String(n.sqlAddr).split(":");
    const client = new Client({ host, port: Number(port), user: "root", database: "defaultdb", ssl: false, connectionTimeoutMillis: 2000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const rows = (await client.query(text)).rows as Record<string, unknown>[];
      return rows[0] === undefined ? undefined : String(Object.values(rows[0])[0]);
    } catch (e) {
      last = e as Error;
      if ((e as { code?: string }).code !== undefined) throw e;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no node answered SQL: ${last?.message}`);
}

describe("provider: majors — rollbacks, the operator's own block, finalization blockers, refusals", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let outs: ClusterVersionOutputs;
  let monitor: InvariantMonitor;

  const uniform = (v: string) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, v]));
  const binaries = () => Object.fromEntries(nodeFacts(sim).map((f) => [f.name, f.binary]));
  const inputs = (version: string, finalize: string): ClusterVersionInputs =>
    inputsFor(sim, version, served.url, { strategy: fastStrategy({ finalize }) });

  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: V["23.2"], baseIp: "127.0.61.10", timeScale: 0.1 });
    // CockroachDB finalizes 24.3 only with a licence (v24_3_check_license.go).
    await sql(sim, `SET CLUSTER SETTING enterprise.license = '${licenseKey("Enterprise")}'`);
    const dir = path.join(path.dirname(sim.buildRelease(V["24.1"]).dir), "releases-all");
    fs.mkdirSync(dir, { recursive: true });
    for (const v of [V["24.1"], V["24.3"]]) {
      const built = sim.buildRelease(v);
      for (const f of fs.readdirSync(built.dir)) fs.copyFileSync(path.join(built.dir, f), path.join(dir, f));
    }
    served = await sim.serveReleases(dir);
    const adopt = await converge("", undefined, inputs(V["23.2"], "manual"));
    assert.ok(adopt.outs, adopt.failure?.message);
    outs = adopt.outs;
    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    await served?.close();
    await sim?.stop();
  });

  it("rolls a failed major roll back before finalization and puts the operator's own auto_upgrade = false back", async () => {
    await sql(sim, `SET CLUSTER SETTING ${AUTO} = false`);
    const n2 = sim.providerNodes[1];
    const good = sim.buildRelease(V["24.1"]);
    prestageOnNode(n2, V["24.1"], sim.buildRelease(V["24.1"], "start-fails").tarball, good.sha256);
    try {
      const r = await converge("crdb-mj", outs, inputs(V["24.1"], "auto"));
      assert.ok(r.failure, `the update must fail:\n${r.lines.join("\n")}`);
      assert.match(r.failure.message.split("\n")[0], /^start node n2 \(127\.0\.61\.12\): .*; rolled back n2, n1 to v23\.2\.3$/);
      assert.deepStrictEqual(binaries(), uniform(V["23.2"]));
      assert.deepStrictEqual(await runningBuilds(sim), uniform(V["23.2"]));
      assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "23.2");
      assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${AUTO}`), "false", "the operator's own value, not the default");
      assert.strictEqual(r.failure.properties.finalizationBlock, undefined);
      outs = r.failure.properties;
    } finally {
      fs.rmSync(path.join(path.dirname(n2.binaryPath), ".crdb-upgrade"), { recursive: true, force: true });
    }
    await assertInvariants();
  });

  it("with the operator's auto_upgrade = false still set, finalize auto keeps it and finalizes with SET CLUSTER SETTING version", async () => {
    const r = await converge("crdb-mj", outs, inputs(V["24.1"], "auto"));
    assert.ok(r.outs, `${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(V["24.1"]));
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.1");
    assert.strictEqual(r.outs.clusterVersion, "24.1");
    assert.strictEqual(r.outs.finalized, true);
    assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${AUTO}`), "false", "left as the operator had it");
    assert.strictEqual(r.outs.finalizationBlock, undefined);
    // The statement returns when the migrations are done; that time is the migration time.
    assert.ok((r.outs.lastRollout?.finalization?.migrationMs ?? 0) > 0, "the migration time is reported");
    outs = r.outs;
    await sql(sim, `SET CLUSTER SETTING ${AUTO} = true`);
    await assertInvariants();
  });

  it("names a node killed right after the last node and the watch window are done, before finalization starts; nothing is rolled back and the block stays", async () => {
    const lines: string[] = [];
    let survivors: ReturnType<typeof nodeFacts> = [];
    let killedAt = 0;
    const log = (l: string): void => {
      lines.push(l);
      // The moment the roll and its watch window are done and finalization is next: the worst time for a
      // node to die. (Inside the window a death rolls back instead: tests/integration/cluster-faults.test.ts.)
      if (killedAt === 0 && /\bwatch done in\b/.test(l)) {
        survivors = nodeFacts(sim).filter((f) => f.name !== "n3");
        killedAt = Date.now();
        sim.killNode("n3", "SIGKILL");
      }
    };
    const news = inputs(V["24.3"], "auto") as unknown as Record<string, unknown>;
    const failure = await lifecycle.update("crdb-mj", outs as unknown as Record<string, unknown>, news, { log }).then(
      () => assert.fail(`the update must fail:\n${lines.join("\n")}`),
      (e: { message: string; properties: ClusterVersionOutputs }) => e,
    );
    assert.ok(killedAt > 0, "n3 was killed after the roll");
    assert.ok(Date.now() - killedAt < 30_000, "reported well within the finalize deadline (30s)");
    assert.match(
      failure.message,
      /^finalize node n3 \(127\.0\.61\.13\): not live \(unreachable[^)]*\), which blocks finalization; 24\.3 is not finalized/,
    );
    assert.match(failure.message, /the roll to v24\.3\.1 is complete and is not rolled back; cluster\.auto_upgrade\.enabled stays 'false'/);
    assert.ok(!lines.some((l) => /ROLLBACK/.test(l)), "no rollback started");
    assert.deepStrictEqual(binaries(), uniform(V["24.3"]));
    assert.deepStrictEqual(
      nodeFacts(sim).filter((f) => f.name !== "n3"),
      survivors,
      "n1 and n2 untouched since",
    );
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.1", "not finalized");
    assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${AUTO}`), "false", "auto-finalization still held");
    const props = failure.properties;
    assert.deepStrictEqual(props.finalizationBlock, { setting: AUTO, previous: "true", value: "false" });
    assert.strictEqual(props.finalized, false);
    assert.strictEqual(props.lastRollout?.outcome, "failed");
    assert.deepStrictEqual(
      props.lastRollout?.nodes.map((n) => n.outcome),
      ["upgraded", "upgraded", "upgraded"],
    );
    assert.strictEqual(props.nodeStatuses.find((n) => n.name === "n3")?.state, "stopped");
    outs = props;
    await monitor.stop();
    monitor = await watch(sim);
  });

  it("refuses the next major while this one is not finalized (preview warns, update refuses), touching nothing", async () => {
    const started = await sim.startNode("n3");
    assert.strictEqual(started.code, 0, started.stderr);
    const facts = nodeFacts(sim);
    const next = inputs(V["25.2"], "auto") as unknown as Record<string, unknown>;
    const previewLines: string[] = [];
    await lifecycle.diff("crdb-mj", outs as unknown as Record<string, unknown>, next, { log: (l) => previewLines.push(l) });
    assert.ok(
      previewLines.some((l) =>
        /warning: by the last recorded state, the upgrade to 24\.3 is not finalized \(cluster version 24\.1\)/.test(l),
      ),
      previewLines.join("\n"),
    );
    const r = await converge("crdb-mj", outs, next as unknown as ClusterVersionInputs);
    assert.ok(r.failure, "refused");
    assert.match(
      r.failure.message,
      /^cannot move from v24\.3\.1 to v25\.2\.1: the upgrade to 24\.3 is not finalized \(cluster version 24\.1\); finalize the previous upgrade first/,
    );
    assert.match(r.failure.message, /SET CLUSTER SETTING version = '24\.3'/);
    assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.1");
    await assertInvariants();
  });

  it("finalizes once the node is back, and restores auto_upgrade", async () => {
    const facts = nodeFacts(sim);
    const r = await converge("crdb-mj", outs, inputs(V["24.3"], "auto"));
    assert.ok(r.outs, `${r.failure?.message}\n${r.lines.join("\n")}`);
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.3");
    assert.strictEqual(r.outs.clusterVersion, "24.3");
    assert.strictEqual(r.outs.finalized, true);
    assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${AUTO}`), "true");
    assert.strictEqual(r.outs.finalizationBlock, undefined);
    assert.deepStrictEqual(nodeFacts(sim), facts, "finalizing restarts nothing");
    await assertInvariants();
  });
});

describe("provider: majors — a cluster that ran an alpha build", function () {
  this.timeout(120_000);
  const ALPHA = "v24.1.0-alpha.1";
  let sim: SimCluster;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: ALPHA, baseIp: "127.0.62.10", timeScale: 0.1 });
  });

  after(async () => {
    await sim?.stop();
  });

  it("cannot move to a production release: refused by check and by update, nothing touched", async () => {
    const served = await sim.serveReleases(sim.buildRelease(V["24.1"]).dir);
    try {
      const monitor = await watch(sim);
      const adopt = await converge("", undefined, inputsFor(sim, ALPHA, served.url));
      assert.ok(adopt.outs, adopt.failure?.message);
      const facts = nodeFacts(sim);
      const news = inputsFor(sim, V["24.1"], served.url);
      const checked = await lifecycle.check(adopt.outs as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>);
      assert.strictEqual(checked.failures.length, 1);
      assert.strictEqual(checked.failures[0].property, "version");
      assert.match(
        checked.failures[0].reason,
        /runs an alpha build, and since v22\.2 such a cluster cannot move to production releases; restore a backup into a new cluster/,
      );
      const r = await converge("crdb-alpha", adopt.outs, news);
      assert.ok(r.failure, "refused");
      assert.match(r.failure.message, /cannot move from v24\.1\.0-alpha\.1 to v24\.1\.2: the cluster runs an alpha build/);
      assert.deepStrictEqual(nodeFacts(sim), facts, "no pid or binary changed");
      await monitor.stop();
      assert.deepStrictEqual(monitor.changedSinceBaseline(), []);
    } finally {
      await served.close();
    }
  });
});
