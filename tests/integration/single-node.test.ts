/**
 * A one-node sim cluster (started with `cockroach start` + `init`, so its
 * ranges keep num_replicas = 3 and report under-replicated, as CockroachDB
 * does). Without strategy.allowDowntime the upgrade is refused by check,
 * diff (preview) and the update's pre-flight, saying "single-node cluster"
 * and naming the option, and the node is not touched. With it, the node is
 * drained, stopped, swapped, started and checked, and the downtime is
 * measured: in the progress lines and in lastRollout.
 */
import * as assert from "assert";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts, runningBuilds, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const ID = "crdb-single";

describe("a single-node cluster", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> };
  let adopted: ClusterVersionOutputs;

  before(async () => {
    sim = await startSimCluster({ nodes: 1, version: FROM, baseIp: "127.0.170.10", timeScale: 0.1 });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopting a one-node cluster at its version is allowed: ${adopt.failure?.message}`);
    adopted = adopt.outs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  it("without strategy.allowDowntime: refused by check, preview and pre-flight, naming the option; nothing touched", async () => {
    const news = inputsFor(sim, TO, served.url) as unknown as Record<string, unknown>;
    const { failures } = await lifecycle.check(adopted as unknown as Record<string, unknown>, news);
    assert.strictEqual(failures.length, 1, JSON.stringify(failures));
    assert.match(failures[0].reason, /^strategy\.allowDowntime: single-node cluster: .*set strategy\.allowDowntime: true/);

    await assert.rejects(
      lifecycle.diff(ID, adopted as unknown as Record<string, unknown>, news, { log: () => undefined }),
      /single-node cluster.*strategy\.allowDowntime: true/,
    );

    const before = nodeFacts(sim);
    const monitor = await watch(sim);
    const up = await converge(ID, adopted, inputsFor(sim, TO, served.url));
    await monitor.stop();
    assert.ok(up.failure, "refused");
    assert.match(up.failure.message, /^preflight: refused, no node was touched: single-node cluster: .*strategy\.allowDowntime: true/);
    assert.doesNotMatch(up.failure.message, /under-replicated/, "under-replication is structural on one node, not the reason");
    assert.deepStrictEqual(monitor.changedSinceBaseline(), []);
    assert.deepStrictEqual(nodeFacts(sim), before);
  });

  it("with strategy.allowDowntime: previewed as downtime, performed, the downtime measured and reported", async () => {
    const news = inputsFor(sim, TO, served.url, { strategy: fastStrategy({ allowDowntime: true }) });
    const raw = news as unknown as Record<string, unknown>;
    assert.deepStrictEqual((await lifecycle.check(adopted as unknown as Record<string, unknown>, raw)).failures, []);
    const preview: string[] = [];
    const d = await lifecycle.diff(ID, adopted as unknown as Record<string, unknown>, raw, { log: (l) => preview.push(l) });
    assert.strictEqual(d.changes, true);
    assert.match(preview.join("\n"), /single-node cluster: the upgrade means downtime while n1 restarts/);

    const pid = nodeFacts(sim)[0].pid;
    const t0 = Date.now();
    const up = await converge(ID, adopted, news);
    const wall = Date.now() - t0;
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    const facts = nodeFacts(sim);
    assert.strictEqual(facts[0].binary, TO);
    assert.ok(facts[0].alive && facts[0].pid !== pid, "the node restarted");
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [TO]);
    const rec = up.outs.lastRollout;
    assert.strictEqual(rec?.outcome, "succeeded");
    assert.deepStrictEqual(
      rec?.nodes[0].phases.filter((p) => ["drain", "stop", "swap-binary", "start", "await-node"].includes(p.phase)).map((p) => p.phase),
      ["drain", "stop", "swap-binary", "start", "await-node"],
    );
    assert.ok(
      rec?.downtimeMs !== undefined && rec.downtimeMs > 0 && rec.downtimeMs < wall,
      `downtime ${rec?.downtimeMs} ms within the run's ${wall} ms`,
    );
    assert.ok(
      rec?.notes?.some((n) => /^single-node cluster: n1 was down for .* \(drain to ready\); cluster version 23\.1$/.test(n)),
      JSON.stringify(rec?.notes),
    );
    assert.match(up.lines.join("\n"), /single-node cluster: n1 was down for/);
    assert.deepStrictEqual(
      up.outs.nodeStatuses.map((s) => [s.name, s.version, s.state]),
      [["n1", TO, "running"]],
    );
  });
});
