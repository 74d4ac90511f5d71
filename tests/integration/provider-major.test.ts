/**
 * Major upgrades, the basics: before rolling, auto-finalization is blocked
 * (and the previous value recorded); with `finalize: manual` the cluster
 * stays on the old cluster version with a hint how to finalize; switching
 * to `finalize: auto` finalizes through the transition versions and restores
 * the setting; with `finalize: auto` from the start, one update does both.
 */
import * as assert from "assert";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.2.3";

describe("provider: major upgrade and finalization", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };

  beforeEach(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.27.10", timeScale: 0.1 });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
  });

  afterEach(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("manual: rolls with finalization blocked, leaves a hint; finalize auto then finalizes and restores the setting", async () => {
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, adopt.failure?.message);
    const up = await converge("crdb-m", adopt.outs, inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "manual" }) }));
    assert.ok(up.outs, `${up.failure?.message}\n${up.lines.join("\n")}`);
    const outs = up.outs as ClusterVersionOutputs;
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      [TO, TO, TO],
    );
    assert.strictEqual(outs.clusterVersion, "23.1", "not finalized: still the old cluster version");
    assert.strictEqual(outs.finalized, false);
    assert.deepStrictEqual(outs.finalizationBlock, { setting: "cluster.preserve_downgrade_option", previous: "", value: "23.1" });
    assert.match(outs.finalizeHint ?? "", /strategy\.finalize to "auto"/);
    assert.strictEqual(outs.lastRollout?.finalization?.finalized, false);

    const fin = await converge("crdb-m", outs, inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "auto" }) }));
    assert.ok(fin.outs, `${fin.failure?.message}\n${fin.lines.join("\n")}`);
    assert.strictEqual(fin.outs?.clusterVersion, "23.2");
    assert.strictEqual(fin.outs?.finalized, true);
    assert.strictEqual(fin.outs?.finalizationBlock, undefined);
    assert.strictEqual(fin.outs?.lastRollout?.finalization?.finalized, true);
    assert.ok((fin.outs?.lastRollout?.finalization?.migrationMs ?? -1) >= 0);
  });

  it("auto: one update rolls every node and finalizes", async () => {
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, adopt.failure?.message);
    const up = await converge("crdb-m", adopt.outs, inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "auto" }) }));
    assert.ok(up.outs, `${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.strictEqual(up.outs?.clusterVersion, "23.2");
    assert.strictEqual(up.outs?.finalized, true);
    assert.ok(
      up.lines.some((l) => /cluster version 23\.1-\d+/.test(l)),
      "the transition versions are reported",
    );
  });
});
