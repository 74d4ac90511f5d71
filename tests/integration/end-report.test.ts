/**
 * Every run reports the cluster's condition at its end (issue 18, point 4):
 * a node SIGKILLed while finalization runs does not stop CockroachDB's
 * migrations from finishing, so nothing in the run itself fails on it; the
 * run must still name the node, in its output and in `lastRollout.warnings`.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.2.3";

describe("provider: the cluster's condition at the end of a run", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.152.10", timeScale: 0.1 });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("names a node killed during finalization, whatever the outcome", async () => {
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, adopt.failure?.message);
    const lines: string[] = [];
    let killed = false;
    const log = (l: string): void => {
      lines.push(l);
      if (!killed && / finalize \.\.\./.test(l)) {
        killed = true;
        const pid = sim.pidOf("n3");
        sim.killNode("n3", "SIGKILL");
        // A SIGKILLed process lingers while the kernel tears it down (long on a loaded machine), and a
        // probe in between sees it alive. The fault under test is a node that is gone: wait until it is.
        const until = Date.now() + 5_000;
        while (pid !== undefined && Date.now() < until && !exited(pid));
      }
    };
    const news = inputsFor(sim, TO, served.url, { strategy: fastStrategy({ finalize: "auto" }) }) as unknown as Record<string, unknown>;
    let outs: ClusterVersionOutputs;
    try {
      outs = (await lifecycle.update("crdb-e", adopt.outs as unknown as Record<string, unknown>, news, { log }))
        .outs as unknown as ClusterVersionOutputs;
    } catch (e) {
      const f = e as { properties?: ClusterVersionOutputs; message: string };
      assert.ok(f.properties, `not a partial failure: ${f.message}`);
      outs = f.properties;
    }
    assert.ok(killed, `finalization never started:\n${lines.join("\n")}`);
    console.log(`      (outcome ${outs.lastRollout?.outcome}; warnings: ${JSON.stringify(outs.lastRollout?.warnings)})`);
    assert.ok(
      (outs.lastRollout?.warnings ?? []).some((w) => /^n3 is down/.test(w)),
      `lastRollout.warnings names n3: ${JSON.stringify(outs.lastRollout?.warnings)}`,
    );
    assert.ok(
      lines.some((l) => /warning: n3 is down/.test(l)),
      "the output names n3",
    );
    assert.strictEqual(outs.nodeStatuses.find((n) => n.name === "n3")?.state, "stopped");
  });
});

/** Gone, or a zombie (dead, not yet reaped). */
function exited(pid: number): boolean {
  try {
    return /\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}
