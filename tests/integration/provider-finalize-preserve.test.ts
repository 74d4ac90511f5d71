/**
 * Finalization while the operator's own `cluster.preserve_downgrade_option`
 * is set. CockroachDB refuses any version bump while the option is non-empty
 * (`cannot upgrade to X: cluster.preserve_downgrade_option is set to Y`,
 * clusterversion/setting.go validateVersionUpgrade) and refuses writing an
 * old value back after the cluster moved on (`cannot set
 * cluster.preserve_downgrade_option to X (cluster version is Y)`). The
 * provider RESETs the option before `SET CLUSTER SETTING version`, and never
 * writes a stale value back. One cluster, 23.1 -> 23.2 -> 24.1.
 * Loopback range: 127.0.130.x.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts } from "../support/provider-harness";
import { metricsPublished, scalar as sql } from "../support/cluster-sql";

const V = { "23.1": "v23.1.11", "23.2": "v23.2.3", "24.1": "v24.1.2" } as const;
const PRESERVE = "cluster.preserve_downgrade_option";

/** One statement on the first node that answers SQL, as an operator would run it. */
describe("provider: finalization under the operator's preserve_downgrade_option", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let outs: ClusterVersionOutputs;
  const inputs = (version: string, finalize: string): ClusterVersionInputs =>
    inputsFor(sim, version, served.url, { strategy: fastStrategy({ finalize }) });

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: V["23.1"], baseIp: "127.0.130.10", timeScale: 0.1 });
    const dir = path.join(path.dirname(sim.buildRelease(V["23.2"]).dir), "releases-all");
    fs.mkdirSync(dir, { recursive: true });
    for (const v of [V["23.2"], V["24.1"]]) {
      const built = sim.buildRelease(v);
      for (const f of fs.readdirSync(built.dir)) fs.copyFileSync(path.join(built.dir, f), path.join(dir, f));
    }
    await metricsPublished(sim);
    served = await sim.serveReleases(dir);
    const adopt = await converge("", undefined, inputs(V["23.1"], "manual"));
    assert.ok(adopt.outs, adopt.failure?.message);
    outs = adopt.outs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("a recorded block whose old value went stale is RESET, not written back, after finalization outside the run", async () => {
    await sql(sim, `SET CLUSTER SETTING ${PRESERVE} = '23.1'`);
    const up = await converge("crdb-pr", outs, inputs(V["23.2"], "manual"));
    assert.ok(up.outs, `${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.deepStrictEqual(up.outs.finalizationBlock, { setting: PRESERVE, previous: "23.1", value: "23.1" });
    assert.match(
      up.outs.finalizeHint ?? "",
      /RESET CLUSTER SETTING cluster\.preserve_downgrade_option, then SET CLUSTER SETTING version = '23\.2'/,
    );
    // The operator finalizes by hand, as the hint says (the statement alone is refused).
    await assert.rejects(
      sql(sim, "SET CLUSTER SETTING version = '23.2'"),
      /cannot upgrade to 23\.2: cluster\.preserve_downgrade_option is set to 23\.1/,
    );
    await sql(sim, `RESET CLUSTER SETTING ${PRESERVE}`);
    await sql(sim, "SET CLUSTER SETTING version = '23.2'");
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "23.2");

    const facts = nodeFacts(sim);
    const again = await converge("crdb-pr", up.outs, inputs(V["23.2"], "manual"));
    assert.ok(again.outs, `the stale '23.1' must not be written back:\n${again.failure?.message}\n${again.lines.join("\n")}`);
    assert.strictEqual(again.outs.finalizationBlock, undefined);
    assert.strictEqual(again.outs.finalized, true);
    assert.match(
      again.outs.lastRollout?.finalization?.note ?? "",
      /finalized outside this run; reset cluster\.preserve_downgrade_option \(its earlier value '23\.1' pinned the old cluster version/,
    );
    assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${PRESERVE}`), "");
    assert.deepStrictEqual(nodeFacts(sim), facts, "no node touched");
    outs = again.outs;
  });

  it("finalize auto with the operator's own preserve_downgrade_option: RESET first, then SET CLUSTER SETTING version", async () => {
    await sql(sim, `SET CLUSTER SETTING ${PRESERVE} = '23.2'`);
    const up = await converge("crdb-pr", outs, inputs(V["24.1"], "auto"));
    assert.ok(up.outs, `${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING version"), "24.1");
    assert.strictEqual(up.outs.finalized, true);
    assert.strictEqual(up.outs.finalizationBlock, undefined);
    assert.strictEqual(await sql(sim, `SHOW CLUSTER SETTING ${PRESERVE}`), "");
    assert.strictEqual(await sql(sim, "SHOW CLUSTER SETTING cluster.auto_upgrade.enabled"), "true");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [V["24.1"], V["24.1"], V["24.1"]],
    );
  });
});
