/**
 * Rollback material and evidence before rollback, on a 3-node simulated
 * cluster through the provider's lifecycle (real processes, real files, a
 * real HTTP release server):
 *
 * 1. The issue's scenario 3: an operator's cleanup job removes n1's
 *    `<binaryPath>_old` while the roll is in progress (once n2 was swapped);
 *    then the last node's release never becomes ready. Before the rollback a
 *    `cockroach debug zip` is taken through a live node (not n3) and copied
 *    here, its path in the error and in lastRollout; the rollback re-stages
 *    the previous release from the release server for n1 (verified) and
 *    every node ends ready on the previous build, never more than one down.
 * 2. A debug zip that cannot be made (its directory on the nodes is taken)
 *    is noted, in the error and the record, and the rollback goes on.
 * 3. Pre-flight refusal: n1 already runs the target (an earlier run moved
 *    it, its `_old` since removed) and the release server no longer has the
 *    previous release: with rollbackOnFailure the update is refused before
 *    any node is touched, naming both paths tried and the override; with
 *    the override (rollbackOnFailure false) it goes ahead, and says so.
 * 4. A downgrade (issue 13) takes its target from `<binaryPath>_old` where
 *    its build tag is the target, when the source no longer has it; a node
 *    with neither is refused at pre-flight, naming both.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import {
  converge,
  fastStrategy,
  inputsFor,
  nodeFacts,
  prestageOnNode,
  removeEvidence,
  runningBuilds,
  watch,
} from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";

describe("provider: rollback material and evidence before rollback", function () {
  this.timeout(600_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let good: { dir: string; tarball: string; sha256: string };
  let adopted: ClusterVersionOutputs;
  const cleanup: string[] = [];
  const zips: string[] = [];

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.110.10", timeScale: 0.1 });
    good = sim.buildRelease(TO);
    sim.buildRelease(FROM); // same directory: the server has the previous release too
    served = await sim.serveReleases(good.dir);
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
    for (const p of cleanup) fs.rmSync(p, { recursive: true, force: true });
    for (const z of zips) removeEvidence(z);
  });

  function inputs(version: string, url: string, extra: Partial<ClusterVersionInputs> = {}): ClusterVersionInputs {
    return inputsFor(sim, version, url, {
      strategy: fastStrategy({ deadlines: { drain: "2s", stop: "10s", start: "10s", ready: "4s", cluster: "5s", finalize: "30s" } }),
      hooks: { debugZipDeadline: "20s" },
      ...extra,
    });
  }

  function clearStaging(): void {
    for (const n of sim.providerNodes) fs.rmSync(path.join(path.dirname(n.binaryPath), ".crdb-upgrade"), { recursive: true, force: true });
  }

  const node = (name: string) => sim.providerNodes.find((n) => n.name === name) as (typeof sim.providerNodes)[number];

  it("re-stages a removed _old from the release server and rolls back, after taking a debug zip", async () => {
    clearStaging();
    const [n1, n2, n3] = ["n1", "n2", "n3"].map(node);
    prestageOnNode(n3, TO, sim.buildRelease(TO, "never-ready").tarball, good.sha256);
    // The operator's cleanup job: once n2 is swapped, n1's _old goes.
    let removed = false;
    const cleaner = setInterval(() => {
      if (!removed && fs.existsSync(`${n2.binaryPath}_old`) && fs.existsSync(`${n1.binaryPath}_old`)) {
        fs.rmSync(`${n1.binaryPath}_old`);
        removed = true;
      }
    }, 50);
    const monitor = await watch(sim);
    let r;
    try {
      r = await converge("crdb-m", adopted, inputs(TO, served.url), undefined, { keepEvidence: true });
    } finally {
      clearInterval(cleaner);
      await monitor.stop();
    }
    assert.ok(removed, "the cleanup job removed n1's _old during the roll");
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or draining");
    const f = r.failure;
    assert.ok(f, `the update must fail; it ${r.outs?.lastRollout?.outcome}:\n${r.lines.join("\n")}`);
    const [head, second] = f.message.split("\n");
    assert.match(head, /^await-node node n3 \(/, head);
    assert.match(head, /; rolled back n3, n2, n1 to v23\.1\.11$/, f.message);
    const rec = f.properties.lastRollout;
    assert.strictEqual(rec?.outcome, "rolled-back");
    assert.ok(
      rec?.notes?.some((n) => /^n1: .*cockroach_old is missing: re-staged the previous release v23\.1\.11 from the release source/.test(n)),
      `a note says n1's way back was re-staged: ${JSON.stringify(rec?.notes)}`,
    );
    // Every node is back on the previous build, ready, and n1's binary came from the release server.
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [FROM, FROM, FROM]);
    assert.deepStrictEqual(
      nodeFacts(sim).map((x) => x.binary),
      [FROM, FROM, FROM],
    );
    assert.ok(fs.existsSync(path.join(path.dirname(n1.binaryPath), ".crdb-upgrade", FROM, ".verified")), "n1's way back was staged");
    assert.deepStrictEqual(
      f.properties.nodeStatuses.map((s) => [s.version, s.state]),
      [
        [FROM, "running"],
        [FROM, "running"],
        [FROM, "running"],
      ],
    );
    // Evidence: a debug zip taken through a live node other than n3, on this machine, named in the error and the record.
    const zip = rec?.debugZip;
    assert.ok(zip?.path, `lastRollout.debugZip: ${JSON.stringify(zip)}`);
    zips.push(zip.path);
    assert.notStrictEqual(zip.node, "n3");
    assert.strictEqual(second, `debug zip (taken through ${zip.node} before the rollback): ${zip.path}`);
    const bytes = fs.readFileSync(zip.path);
    assert.strictEqual(bytes.subarray(0, 2).toString("latin1"), "PK", "a zip file");
    assert.ok(bytes.includes("crdb_internal.gossip_liveness"), "it holds the cluster's tables");
    assert.ok(
      !fs.existsSync(path.join(path.dirname(node(zip.node as string).binaryPath), ".crdb-upgrade", "evidence", path.basename(zip.path))),
    );
    adopted = f.properties;
  });

  it("rolls back even when the debug zip fails, and says why there is none", async () => {
    clearStaging();
    prestageOnNode(node("n1"), TO, sim.buildRelease(TO, "start-fails").tarball, good.sha256);
    // Where the zip would be written on every node is taken by a file: the zip cannot be made.
    for (const n of sim.providerNodes) {
      const staging = path.join(path.dirname(n.binaryPath), ".crdb-upgrade");
      fs.mkdirSync(staging, { recursive: true });
      fs.writeFileSync(path.join(staging, "evidence"), "");
    }
    const monitor = await watch(sim);
    const r = await converge("crdb-m", adopted, inputs(TO, served.url));
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    const f = r.failure;
    assert.ok(f, `the update must fail:\n${r.lines.join("\n")}`);
    const [head, second] = f.message.split("\n");
    assert.match(head, /^start node n1 \(.*; rolled back n1 to v23\.1\.11$/, f.message);
    assert.match(second, /^debug zip before the rollback failed: on n\d: mkdir: .*evidence/, f.message);
    assert.match(f.properties.lastRollout?.debugZip?.error ?? "", /mkdir/);
    assert.strictEqual(f.properties.lastRollout?.debugZip?.path, undefined);
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [FROM, FROM, FROM]);
    adopted = f.properties;
  });

  it("refuses at pre-flight when a moved node has neither _old nor the previous release at the source", async () => {
    clearStaging();
    // An earlier run moved n1 to the target; its _old has since been removed.
    sim.installRelease("n1", good.tarball);
    fs.rmSync(`${node("n1").binaryPath}_old`, { force: true });
    const restarted = await sim.restartNode("n1");
    assert.strictEqual(restarted.code, 0, restarted.stderr);
    await waitReady("n1");
    // A mirror that has only the target.
    const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-mirror-"));
    cleanup.push(mirror);
    for (const f of [good.tarball, `${good.tarball}.sha256sum`]) fs.copyFileSync(f, path.join(mirror, path.basename(f)));
    const only = await sim.serveReleases(mirror);
    try {
      const before = nodeFacts(sim);
      const r = await converge("crdb-m", adopted, inputs(TO, only.url));
      const f = r.failure;
      assert.ok(f, `the update must be refused:\n${r.lines.join("\n")}`);
      const msg = f.message;
      assert.match(msg, /^preflight: refused, no node was touched: rollback material missing/, msg);
      assert.ok(msg.includes(`n1: ${node("n1").binaryPath}_old is missing`), msg);
      assert.ok(msg.includes(`${only.url}/cockroach-${FROM}.linux-amd64.tgz.sha256sum`), `names the release URL tried: ${msg}`);
      assert.match(msg, /strategy\.rollbackOnFailure = false/, msg);
      assert.deepStrictEqual(
        nodeFacts(sim).map((x) => [x.pid, x.binaryIno]),
        before.map((x) => [x.pid, x.binaryIno]),
        "no node was touched",
      );
      assert.strictEqual(f.properties.lastRollout?.debugZip, undefined, "no debug zip for a refusal: nothing was touched");
      adopted = f.properties;
      // The override: without a way back, go ahead only when a failure may leave nodes as they are.
      const override = inputs(TO, only.url);
      const go = await converge("crdb-m", adopted, { ...override, strategy: { ...override.strategy, rollbackOnFailure: false } });
      assert.ok(go.outs, go.failure?.message);
      assert.ok(
        go.outs.lastRollout?.notes?.some((n) =>
          /^rollback material not on n1 and not staged: strategy\.rollbackOnFailure is false/.test(n),
        ),
        JSON.stringify(go.outs.lastRollout?.notes),
      );
      assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [TO, TO, TO]);
      adopted = go.outs;
    } finally {
      await only.close();
    }
  });

  it("a downgrade takes the target from _old, verified, where the release source no longer has it", async () => {
    clearStaging();
    const mirror = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-mirror-"));
    cleanup.push(mirror);
    for (const f of [good.tarball, `${good.tarball}.sha256sum`]) fs.copyFileSync(f, path.join(mirror, path.basename(f)));
    const only = await sim.serveReleases(mirror);
    try {
      // n1 was moved by hand and has no _old: neither the node nor the source has v23.1.11 for it.
      const before = nodeFacts(sim);
      const refused = await converge("crdb-m", adopted, inputs(FROM, only.url));
      const msg = refused.failure?.message ?? "";
      assert.match(
        msg,
        /^preflight: refused, no node was touched: .*v23\.1\.11 is neither on the node nor available from the release source/,
        msg,
      );
      assert.ok(msg.includes(`n1: ${node("n1").binaryPath}_old is missing`), msg);
      assert.ok(msg.includes(`${only.url}/cockroach-${FROM}.linux-amd64.tgz.sha256sum`), msg);
      assert.ok(!msg.includes("n2: "), `n2 has v23.1.11 in its _old: ${msg}`);
      assert.deepStrictEqual(
        nodeFacts(sim).map((x) => [x.pid, x.binaryIno]),
        before.map((x) => [x.pid, x.binaryIno]),
        "no node was touched",
      );
      adopted = refused.failure?.properties as ClusterVersionOutputs;
      // The operator puts the previous build back on n1: now every node has it, and the source is not needed.
      fs.copyFileSync(`${node("n2").binaryPath}_old`, `${node("n1").binaryPath}_old`);
      const r = await converge("crdb-m", adopted, inputs(FROM, only.url));
      assert.ok(r.outs, r.failure?.message);
      assert.strictEqual(r.outs.lastRollout?.kind, "patch-downgrade");
      assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [FROM, FROM, FROM]);
      for (const n of sim.providerNodes) {
        const staging = path.join(path.dirname(n.binaryPath), ".crdb-upgrade");
        assert.ok(fs.existsSync(path.join(staging, `${FROM}.from-old`, "cockroach")), `${n.name} staged from _old`);
        assert.ok(!fs.existsSync(path.join(staging, FROM)), `${n.name} downloaded nothing`);
      }
    } finally {
      await only.close();
    }
  });

  async function waitReady(name: string): Promise<void> {
    const until = Date.now() + 30_000;
    while (!(await runningBuilds(sim))[name]) {
      if (Date.now() > until) throw new Error(`${name} did not come back`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
});
