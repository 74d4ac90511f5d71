/**
 * Patch upgrades through the provider's lifecycle methods against live sim
 * clusters, watched from outside by the invariant monitor: never more than
 * one node down or draining, nothing touched before pre-flight passed,
 * nodes disturbed strictly one after another in plan order, and afterwards
 * `read` reports exactly what the nodes run. Running again at the target
 * restarts nothing.
 */
import * as assert from "assert";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster } from "../support/sim-cluster";
import { converge, inputsFor, nodeFacts, runningBuilds, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";

/** The time pre-flight passed (staging included), from the progress lines' order: the first drain. */
function firstDrainLine(lines: readonly string[]): number {
  return lines.findIndex((l) => / drain \.\.\./.test(l));
}

async function upgradeScenario(nodes: number, baseIp: string): Promise<void> {
  const sim = await startSimCluster({ nodes, version: FROM, baseIp, timeScale: 0.1 });
  const rel = sim.buildRelease(TO);
  const served = await sim.serveReleases(rel.dir);
  try {
    // create adopts the cluster as it is: already at FROM, nothing to roll.
    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
    const pidsBefore = nodeFacts(sim).map((f) => f.pid);

    const monitor = await watch(sim);
    const t0 = Date.now();
    const up = await converge("crdb-test", adopt.outs, inputsFor(sim, TO, served.url));
    await monitor.stop();
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);

    // Safety invariants, from the outside.
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(
      monitor.disturbanceOrder(),
      sim.providerNodes.map((n) => n.name),
      "nodes disturbed in plan order",
    );
    for (let i = 1; i < nodes; i++) {
      const prev = sim.providerNodes[i - 1].name;
      const next = sim.providerNodes[i].name;
      const prevBack = monitor.lastUnready(prev) as number;
      const nextStart = monitor.firstDisturbance(next) as number;
      assert.ok(nextStart > prevBack, `${next} was touched before ${prev} was back (${nextStart} <= ${prevBack})`);
    }
    const firstTouch = Math.min(...sim.providerNodes.map((n) => monitor.firstDisturbance(n.name) as number));
    assert.ok(firstTouch > t0, "no node disturbed before the update began");
    const preflightLine = up.lines.findIndex((l) => /stage-release done/.test(l));
    assert.ok(preflightLine >= 0 && preflightLine < firstDrainLine(up.lines), "staging finished before the first drain");
    // The drain settings the run read once for its estimate reach the pre-flight's check: the sim's defaults make
    // `cockroach node drain` wait 35s, beyond the tests' 20s drain deadline (lb-drain.ts drainDeadlineWarning).
    const drainWarning = up.lines.findIndex((l) =>
      /WARNING: cockroach node drain raises --drain-wait to .* = 35s .*strategy\.deadlines\.drain \(20s\)/.test(l),
    );
    assert.ok(
      drainWarning >= 0 && drainWarning < firstDrainLine(up.lines),
      `no drain-deadline warning before the first drain:\n${up.lines.join("\n")}`,
    );

    // Every node on the target, every process new; outputs and read say so.
    const facts = nodeFacts(sim);
    assert.deepStrictEqual(
      facts.map((f) => f.binary),
      facts.map(() => TO),
    );
    assert.ok(
      facts.every((f, i) => f.alive && f.pid !== pidsBefore[i]),
      "every node restarted",
    );
    const running = await runningBuilds(sim);
    assert.deepStrictEqual(
      Object.values(running),
      facts.map(() => TO),
    );
    const outs = up.outs as ClusterVersionOutputs;
    assert.deepStrictEqual(
      outs.nodeStatuses.map((s) => [s.name, s.version, s.state]),
      sim.providerNodes.map((n) => [n.name, TO, "running"]),
    );
    assert.strictEqual(outs.lastRollout?.outcome, "succeeded");
    // After the canary the rest is re-estimated from what it measured: a progress line before the next
    // node's drain, and the record keeps it (plan/estimate.ts remainingAfterCanaryMs).
    const reestimate = up.lines.findIndex((l) =>
      /re-estimate after the canary \(n1\): drain \+ restart .* measured; \d+ node\(s\) left: ~.* more, finish ~\d\d:\d\d:\d\d/.test(l),
    );
    const secondDrain = up.lines.findIndex((l) => new RegExp(`${sim.providerNodes[1].name} drain \\.\\.\\.`).test(l));
    assert.ok(reestimate >= 0 && reestimate < secondDrain, `no re-estimate line before the second node's drain:\n${up.lines.join("\n")}`);
    const after = outs.lastRollout?.eta?.afterCanary;
    assert.deepStrictEqual([after?.nodes, after?.nodesLeft], [["n1"], nodes - 1]);
    assert.ok((after?.remainingMs ?? 0) > 0 && (after?.restartMs ?? 0) > 0, JSON.stringify(after));
    assert.deepStrictEqual(
      outs.lastRollout?.nodes.map((n) => n.outcome),
      facts.map(() => "upgraded"),
    );
    assert.strictEqual(outs.finalized, true);
    const read = await lifecycle.read("crdb-test", outs as unknown as Record<string, unknown>);
    assert.strictEqual(read.id, "crdb-test");
    const readOuts = read.props as unknown as ClusterVersionOutputs;
    assert.deepStrictEqual(readOuts.nodeStatuses, outs.nodeStatuses);
    assert.deepStrictEqual(read.inputs?.version, TO);

    // At the target: an update restarts nothing.
    const again = await converge("crdb-test", outs, inputsFor(sim, TO, served.url));
    assert.ok(again.outs, again.failure?.message);
    assert.strictEqual(again.outs?.lastRollout?.outcome, "noop");
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.pid),
      facts.map((f) => f.pid),
      "no pid changed",
    );
  } finally {
    await served.close();
    await sim.stop();
  }
}

describe("provider: patch upgrade against a sim cluster", function () {
  this.timeout(240_000);

  it("rolls 3 nodes one at a time, gated, and read reports what they run", async () => {
    await upgradeScenario(3, "127.0.21.10");
  });

  it("rolls 5 nodes one at a time, gated, and read reports what they run", async () => {
    await upgradeScenario(5, "127.0.22.10");
  });
});
