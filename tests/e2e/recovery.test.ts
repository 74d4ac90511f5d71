/**
 * Recovery keeps the cluster's truth (issue 18), end to end with the real
 * Pulumi CLI and one simulated 3-node cluster walked up the release train.
 * One case per kind (the full phase matrix is bench/recovery-matrix.ts):
 *
 * 1. v23.1 -> v23.2, finalize afterBake (block: preserve_downgrade_option,
 *    the operator's original unset): a node SIGKILLed in the bake before
 *    finalization; after it is back, `pulumi up` alone (no config change)
 *    finalizes and the option is unset again.
 * 2. v23.2 -> v24.1, finalize auto (block: auto_upgrade.enabled, the
 *    operator's original on): `pulumi` and its plugins SIGKILLed during the
 *    roll, after the block was set and before the state could record it;
 *    cancel, refresh, up finalize and restore 'true' from the cluster's memory.
 * 3. v24.1 -> v24.3 with the operator's auto-upgrade off: only the CLI is
 *    SIGKILLed; the provider exits within seconds, releasing the lease, and
 *    another stack takes the lease at once, finishes, and leaves 'false'.
 * 4. v24.3 -> v25.2 manual, finalized by hand, then `version` reverted: the
 *    update is refused and the stored outputs say finalized, with no hint.
 *
 * The cluster is read directly (SQL) to judge every claim; a monitor checks
 * the safety invariants through each case. Loopback band 127.0.150.x.
 */
import * as assert from "assert";
import type { ChildProcess } from "child_process";
import { PulumiWorkspace, type PulumiResult } from "../support/pulumi";
import { rootProgram, type RootProgram } from "../support/root-program";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { fastStrategy, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { descendantsOf } from "../support/processes";
import { alive, cmdline, killPids as kill, rolloutMemory, setting, sleep, sql, waitUntil } from "../support/cluster-sql";
import { licenseKey } from "../support/license-keys";

const STACK = "recovery";
const OTHER = "recovery-other";
const V = { "23.1": "v23.1.11", "23.2": "v23.2.3", "24.1": "v24.1.2", "24.3": "v24.3.1", "25.2": "v25.2.1" } as const;
const AUTO = "cluster.auto_upgrade.enabled";
const PRESERVE = "cluster.preserve_downgrade_option";

describe("e2e recovery: the cluster's truth survives kills, dead nodes and out-of-band finalization", function () {
  this.timeout(20 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let other: PulumiWorkspace | undefined;
  let served: ReleaseMirror;
  let monitor: InvariantMonitor;
  /** Processes a test orphaned on purpose (the language host of a killed CLI): stopped by pid at the end. */
  const orphans: number[] = [];

  const uniform = (v: string) => Object.fromEntries(sim.providerNodes.map((n) => [n.name, v]));
  const out = (r: PulumiResult) => `${r.stdout}\n${r.stderr}`;
  const assertOutput = (r: PulumiResult, re: RegExp) =>
    assert.ok(re.test(out(r)), `no ${re} in the output, which ends:\n${out(r).slice(-4000)}`);

  async function resourceOutputs(w: PulumiWorkspace = ws): Promise<ClusterVersionOutputs> {
    const exported = await w.exportStack();
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    return (resource?.outputs ?? {}) as unknown as ClusterVersionOutputs;
  }

  function configure(stack: string, version: string, finalize: string): void {
    program.setConfig(stack, {
      nodes: sim.providerNodes,
      sql: { insecure: true },
      version,
      release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` },
      strategy: fastStrategy({ finalize }),
    });
  }

  /** What the cluster remembers (crdb_upgrade.rollout), read as an operator would. */
  const memory = () => rolloutMemory(sim);

  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  /** Finalized on `version` with the block setting back at the operator's value, judged from the cluster and the state. */
  async function assertFinalized(version: string, block: { name: string; original: string }, w = ws): Promise<void> {
    const series = version.slice(1).split(".").slice(0, 2).join(".");
    assert.deepStrictEqual(await runningBuilds(sim), uniform(version));
    assert.strictEqual(await setting(sim, "version"), series);
    assert.strictEqual(await setting(sim, block.name), block.original, `${block.name} is the operator's original value`);
    const outs = await resourceOutputs(w);
    assert.strictEqual(outs.finalized, true);
    assert.strictEqual(outs.finalizationBlock, undefined, "no block left recorded in the state");
    assert.strictEqual((await memory())?.setting ?? null, null, "no block left in the cluster's memory");
  }

  /** Starts `pulumi up` and resolves once `ready` holds, with the CLI's pid and the up's promise. */
  async function upUntil(w: PulumiWorkspace, what: string, ready: () => Promise<boolean>) {
    let pid = 0;
    const run = w.run(["up", "--yes", "--skip-preview"], { onSpawn: (c: ChildProcess) => (pid = c.pid ?? 0) });
    await waitUntil(what, ready, 180_000);
    return { pid, run };
  }

  const onTarget = (name: string, version: string) => async () => (await runningBuilds(sim))[name] === version;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: V["23.1"], baseIp: "127.0.150.10", timeScale: 0.1 });
    served = await serveReleaseMirror(sim, Object.values(V));
    program = rootProgram();
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
    await ws.init();
    configure(STACK, V["23.1"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    // CockroachDB finalizes 24.3 only with a licence (v24_3_check_license.go); pre-flight refuses without one.
    await sql(sim, `SET CLUSTER SETTING enterprise.license = '${licenseKey("Enterprise")}'`);
    monitor = await watch(sim);
  });

  after(async () => {
    kill(orphans);
    await monitor?.stop();
    await other?.dispose();
    await ws?.dispose();
    program?.dispose();
    await served?.close();
    await sim?.stop();
  });

  it("afterBake interrupted by a dead node (preserve_downgrade_option): after the node is back, pulumi up alone finalizes", async () => {
    assert.strictEqual(await setting(sim, PRESERVE), "");
    configure(STACK, V["23.2"], "afterBake:20s");
    const { run } = await upUntil(
      ws,
      "every node on v23.2",
      async () => JSON.stringify(await runningBuilds(sim)) === JSON.stringify(uniform(V["23.2"])),
    );
    // Inside the 20s bake before finalization, past the watch window: the cluster's memory names the run's
    // phase ("bake" without a node is that bake; a node's own bake is "bake nX").
    await waitUntil("the bake before finalization", async () => (await memory())?.phase === "bake", 120_000);
    await sleep(1000);
    sim.killNode("n2", "SIGKILL");
    const failed = await run;
    assert.notStrictEqual(failed.code, 0);
    assertOutput(failed, /n2 .*which blocks finalization/);
    assert.strictEqual(await setting(sim, "version"), "23.1");
    assert.strictEqual(await setting(sim, PRESERVE), "23.1", "finalization still held");
    const mem = await memory();
    assert.deepStrictEqual(
      [mem?.setting, mem?.previous, mem?.value],
      [PRESERVE, "", "23.1"],
      "the cluster remembers the block and the original",
    );
    const stored = await resourceOutputs();
    assert.strictEqual(stored.finalized, false);
    assert.ok(
      (stored.lastRollout?.warnings ?? []).some((w) => /^n2 is down/.test(w)),
      `lastRollout warns that n2 is down: ${JSON.stringify(stored.lastRollout?.warnings)}`,
    );
    await monitor.stop();
    monitor = await watch(sim);

    assert.strictEqual((await sim.startNode("n2")).code, 0);
    const preview = await ws.ok(["preview"]);
    assertOutput(preview, /finalization of 23\.2 is pending/);
    assertOutput(preview, /pulumi up finishes it \(strategy\.finalize is afterBake\): holds the cluster gate for 20s/);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    await assertFinalized(V["23.2"], { name: PRESERVE, original: "" });
    await assertInvariants();
  });

  it("kill -9 of pulumi and its plugins during the roll (auto_upgrade.enabled, originally on): cancel, refresh, up restore 'true'", async () => {
    assert.strictEqual(await setting(sim, AUTO), "true");
    configure(STACK, V["24.1"], "auto");
    const { pid, run } = await upUntil(ws, "n1 on v24.1", onTarget("n1", V["24.1"]));
    const nodes = new Set(sim.providerNodes.map((n) => sim.pidOf(n.name)));
    kill([pid, ...descendantsOf(pid).filter((p) => !nodes.has(p))]);
    await run;
    assert.strictEqual(await setting(sim, AUTO), "false", "the run's block is in place");
    assert.strictEqual((await resourceOutputs()).finalizationBlock, undefined, "the state never saw the block");
    assert.strictEqual((await memory())?.previous, "true", "the cluster remembers the operator's value");
    await ws.run(["cancel", "--yes"]);
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    await assertFinalized(V["24.1"], { name: AUTO, original: "true" });
    await assertInvariants();
  });

  it("killing only the CLI: the provider exits within seconds, another stack takes the lease at once (auto-upgrade originally off)", async () => {
    await sql(sim, `SET CLUSTER SETTING ${AUTO} = false`);
    configure(STACK, V["24.3"], "auto");
    const { pid, run } = await upUntil(ws, "n1 on v24.3", onTarget("n1", V["24.3"]));
    const nodes = new Set(sim.providerNodes.map((n) => sim.pidOf(n.name)));
    const below = descendantsOf(pid).filter((p) => !nodes.has(p));
    const providers = below.filter((p) => /dynamic-provider/.test(cmdline(p)));
    assert.ok(providers.length > 0, "the provider process runs");
    orphans.push(...below);
    const killedAt = Date.now();
    kill([pid]);
    await run;
    await waitUntil("the provider to exit", async () => providers.every((p) => !alive(p)), 30_000);
    const exitedMs = Date.now() - killedAt;
    console.log(`      (the provider exited ${exitedMs} ms after its CLI was killed)`);
    const lease = await sql(sim, "SELECT holder FROM crdb_upgrade.lease");
    assert.deepStrictEqual(lease, [], "the lease was released, not left to expire");

    other = new PulumiWorkspace({ programDir: program.dir, stack: OTHER });
    await other.init();
    configure(OTHER, V["24.3"], "auto");
    const started = Date.now();
    const up = await other.ok(["up", "--yes", "--skip-preview"]);
    assertOutput(up, /took the cluster's upgrade lease: token/);
    assert.doesNotMatch(out(up), /held by|took over/);
    console.log(`      (the other stack's up took ${Date.now() - started} ms)`);
    await assertFinalized(V["24.3"], { name: AUTO, original: "false" }, other);
    await assertInvariants();
  });

  it("finalized by hand, then version reverted: refused, with the truth stored", async () => {
    await ws.run(["cancel", "--yes"]);
    // Refresh must succeed although the stored inputs (v24.1) lag a cluster another stack finalized on 24.3.
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    // check() judges a move from the stored inputs: catch them up first (nothing is restarted).
    configure(STACK, V["24.3"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    configure(STACK, V["25.2"], "manual");
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.strictEqual((await resourceOutputs()).finalized, false);
    await sql(sim, "SET CLUSTER SETTING version = '25.2'");
    await waitUntil("the finalization by hand", async () => (await setting(sim, "version")) === "25.2", 60_000);
    configure(STACK, V["24.3"], "manual");
    const up = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(up.code, 0);
    assertOutput(up, /the upgrade to 25\.2 was finalized/);
    assert.deepStrictEqual(await runningBuilds(sim), uniform(V["25.2"]));
    const stored = await resourceOutputs();
    assert.strictEqual(stored.clusterVersion, "25.2");
    assert.strictEqual(stored.finalized, true, "the stored finalized follows the cluster");
    assert.strictEqual(stored.finalizeHint, undefined, "no hint to finalize towards the old series");
    await assertInvariants();
  });
});
