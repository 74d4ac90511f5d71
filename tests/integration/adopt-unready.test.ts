/**
 * Adoption of a cluster nobody ever rolled, with a node down at that moment
 * (issue 14: a 50-node cluster just started on a loaded machine had nodes
 * briefly not ready, and the create was refused as if "an earlier run" had
 * left them broken). Without a journal, a record or the cluster's memory
 * (earlier-run.ts) such a node is a peer that is down: never rolled back,
 * never the cause of an "earlier run" refusal; being down, it is waited for
 * (strategy.deadlines.cluster). Here n2 is stopped by hand before the create
 * and restarted by hand while the create waits: the create succeeds, says
 * why n2 was left alone, and does not touch it.
 */
import * as assert from "assert";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, waitFor, type SimCluster } from "../support/sim-cluster";
import type { InvariantMonitor } from "../support/invariant-monitor";
import { converge, inputsFor, runningBuilds, watch } from "../support/provider-harness";

const VERSION = "v23.1.11";

describe("provider: adopting a cluster with a node down that no run touched", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  /** The operator's start of n2: awaited before the cluster is stopped, so no node outlives a failed case. */
  let restart: Promise<{ code: number }> | undefined;
  let monitor: InvariantMonitor | undefined;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: VERSION, baseIp: "127.0.125.10", timeScale: 0.1 });
    served = await sim.serveReleases(sim.buildRelease(VERSION).dir);
  });

  after(async () => {
    await monitor?.stop();
    await restart?.catch(() => undefined);
    await served?.close();
    await sim?.stop();
  });

  it("n2 stopped by hand and restarted by hand during the create: adopted, n2 left to the operator, not 'left by an earlier run'", async () => {
    // From outside, throughout: the operator's n2 is the only node down and the only one restarted.
    const m = (monitor = await watch(sim));
    sim.killNode("n2", "SIGTERM");
    await sim.waitForExit("n2");
    const r = await converge("", undefined, inputsFor(sim, VERSION, served.url), undefined, (line) => {
      // The run has judged n2 (stopped, no evidence of an earlier run) and waits for it: the operator brings it back now.
      if (restart === undefined && /n2 \(stopped\) on v23\.1\.11, and no run touched it: waiting up to 30s/.test(line))
        restart = sim.startNode("n2");
    });
    const why = r.lines.join("\n");
    assert.ok(r.outs, `the create is not refused: ${r.failure?.message}\n${why}`);
    assert.ok(restart, `the run said why n2 is left alone:\n${why}`);
    assert.strictEqual((await restart).code, 0);
    assert.ok(!/by an earlier run/.test(why), why);
    await m.stop();
    monitor = undefined;
    assert.deepStrictEqual(m.violations({ maxUnavailable: 1 }), [], "never more than one node down or unready");
    assert.deepStrictEqual(m.changedSinceBaseline(), ["n2"], "no node but the operator's n2 was restarted");
    const n2 = r.outs.lastRollout?.nodes.find((n) => n.name === "n2");
    assert.deepStrictEqual(n2?.phases, [], "the provider did not touch n2");
    // The node the operator restarted is the one serving now, on the build it had.
    await waitFor("n2 ready", async () => ((await runningBuilds(sim)).n2 === VERSION ? true : undefined), 30_000, 200);
    const read = await lifecycle.read("crdb-adopt", r.outs as unknown as Record<string, unknown>);
    const statuses = (read.props as unknown as ClusterVersionOutputs).nodeStatuses;
    assert.deepStrictEqual(
      statuses.map((s) => [s.name, s.version, s.state]),
      [
        ["n1", VERSION, "running"],
        ["n2", VERSION, "running"],
        ["n3", VERSION, "running"],
      ],
    );
  });
});
