/**
 * Zone-at-a-time (`strategy.batch: "locality"`) against live sim clusters,
 * watched from outside: pids, readiness, binaries and every running node's
 * ranges_unavailable every 250 ms.
 *
 * - 9 nodes in 3 zones (the sim places one replica of every range per
 *   zone): 3 batches of 3, each proven right before it stops; only one
 *   zone's nodes ever down together, never more than 3, zones strictly one
 *   after another, 0 unavailable ranges in any sample.
 * - A node of a zone fails to start (a release fault): the batch goes no
 *   further (each-alone.ts), every touched node goes back to the previous
 *   release, never more than a zone down, 0 unavailable ranges.
 * - The proof itself, read from that cluster: a zone may go down, two nodes
 *   of different zones may not, and a dead node elsewhere voids a zone's proof.
 * - 4 nodes in 2 zones (some range has 2 of its 3 replicas in one zone): the
 *   plan falls back to one node at a time and the log says why.
 */
import * as assert from "assert";
import { ClusterReader } from "../../provider/cluster/reader";
import { proveDown } from "../../provider/cluster/placement";
import { parseSpec } from "../../provider/spec/parse";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { InvariantMonitor } from "../support/invariant-monitor";
import { converge, fastStrategy, inputsFor, nodeFacts, prestageOnNode, watched } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const NEXT = "v23.1.13";
const ZONES = ["region=r1,zone=a", "region=r1,zone=b", "region=r1,zone=c"];
/** 30 sim seconds at scale 0.1: longer than the sim's post-restart catch-up, as a real bake must be. */
const BAKE = "3s";

/** Zone of node i (1-based): a, b, c, a, b, c, ... */
function zonesFor(nodes: number, zones: readonly string[]): string[] {
  return Array.from({ length: nodes }, (_, i) => zones[i % zones.length]);
}

function namesIn(sim: SimCluster, zone: string): string[] {
  return sim.providerNodes.filter((n) => n.locality === zone).map((n) => n.name);
}

async function adopted(sim: SimCluster, url: string): Promise<ClusterVersionOutputs> {
  const adopt = await converge("", undefined, inputsFor(sim, FROM, url));
  assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);
  return adopt.outs;
}

function localityInputs(sim: SimCluster, url: string, version: string): ClusterVersionInputs {
  return inputsFor(sim, version, url, {
    strategy: fastStrategy({ batch: "locality", maxUnavailable: 3, waitAfterRejoin: BAKE, canaryBake: BAKE }),
  });
}

describe("zone-at-a-time: 9 nodes in 3 zones", function () {
  this.timeout(180_000);
  let sim: SimCluster;
  let url: string;
  let closeServer: () => Promise<void>;

  before(async () => {
    sim = await startSimCluster({ nodes: 9, version: FROM, baseIp: "127.0.90.10", timeScale: 0.1, localities: zonesFor(9, ZONES) });
    const served = await sim.serveReleases(sim.buildRelease(TO).dir);
    url = served.url;
    closeServer = served.close;
  });

  after(async () => {
    await closeServer?.();
    await sim?.stop();
  });

  it("rolls 3 batches of 3, one zone at a time, each proven first, with 0 unavailable ranges sampled throughout", async () => {
    const olds = await adopted(sim, url);
    const monitor = await InvariantMonitor.start(watched(sim), 250, { rangeHealth: true });
    const up = await converge("crdb-zone", olds, localityInputs(sim, url, TO));
    await monitor.stop();
    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    const log = up.lines.join("\n");
    const batches = ZONES.map((z) => namesIn(sim, z));

    // The plan and the proof before each batch, in the log.
    assert.match(log, /9 node\(s\), in 3 batches by locality/);
    for (const [i, zone] of ZONES.entries()) {
      assert.match(log, new RegExp(`${i + 1}\\. ${batches[i].join(", ")} \\[${zone}\\]`));
      assert.match(
        log,
        new RegExp(
          `locality ${zone} \\(${batches[i].join(", ")}\\) proven safe to stop together: all \\d+ ranges keep a majority of live voters`,
        ),
      );
    }
    assert.doesNotMatch(log, /one node at a time/);

    // From the outside: at most 3 down, only one zone's nodes together, zones strictly in turn.
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 3 }), []);
    assert.deepStrictEqual(monitor.batchViolations(batches), []);
    assert.strictEqual(monitor.maxDownAtOnce().count, 3, `a whole zone was down at once (seen: ${JSON.stringify(monitor.downTogether())})`);
    for (let i = 1; i < batches.length; i++) {
      const prevBack = Math.max(...batches[i - 1].map((n) => monitor.lastUnready(n) as number));
      const nextStart = Math.min(...batches[i].map((n) => monitor.firstDisturbance(n) as number));
      assert.ok(nextStart > prevBack, `zone ${ZONES[i]} touched before zone ${ZONES[i - 1]} was back`);
    }
    const health = monitor.unavailableRanges();
    assert.strictEqual(
      health.max,
      0,
      `unavailable ranges sampled: ${health.max} at ${health.at ? new Date(health.at.t).toISOString() : "?"}`,
    );
    assert.ok(health.sampled >= 20, `range health sampled only ${health.sampled} times`);

    // Every node on the target, every process new.
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      sim.providerNodes.map(() => TO),
    );
    assert.strictEqual(up.outs.lastRollout?.outcome, "succeeded");
    assert.deepStrictEqual(
      up.outs.lastRollout?.nodes.map((n) => n.outcome),
      sim.providerNodes.map(() => "upgraded"),
    );
  });

  it("a node of a zone batch fails to start: the run stops the batch and rolls every touched node back, never more than a zone down", async () => {
    // After the first case every node runs TO. n5 (zone b) gets a release of NEXT that cannot start.
    const good = sim.buildRelease(NEXT);
    const victim = namesIn(sim, ZONES[1])[1];
    const node = sim.providerNodes.find((n) => n.name === victim);
    assert.ok(node);
    prestageOnNode(node, NEXT, sim.buildRelease(NEXT, "start-fails").tarball, good.sha256);
    const adopt = await converge("", undefined, inputsFor(sim, TO, url));
    assert.ok(adopt.outs, adopt.failure?.message);
    const monitor = await InvariantMonitor.start(watched(sim), 250, { rangeHealth: true });
    const r = await converge("crdb-zone-fail", adopt.outs, localityInputs(sim, url, NEXT));
    await monitor.stop();
    const why = r.lines.join("\n");
    assert.ok(r.failure, `the roll must fail at ${victim}'s start:\n${why}`);
    const head = r.failure.message.split("\n")[0];
    assert.match(head, new RegExp(`^start node ${victim} \\(`), head);
    assert.match(head, /; rolled back .* to v23\.1\.12$/, head);
    assert.strictEqual(r.failure.properties.lastRollout?.outcome, "rolled-back");
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 3 }), []);
    assert.strictEqual(monitor.unavailableRanges().max, 0);
    assert.deepStrictEqual(
      nodeFacts(sim).map((f) => f.binary),
      sim.providerNodes.map(() => TO),
    );
  });

  it("proves a whole zone safe to stop, refuses two nodes of different zones, and refuses a zone while a node elsewhere is dead", async () => {
    const spec = parseSpec(inputsFor(sim, TO, url));
    const reader = new ClusterReader(spec.sql, spec.nodes);
    try {
      const [a, b] = [namesIn(sim, ZONES[0]), namesIn(sim, ZONES[1])];
      const zone = await proveDown(reader, spec.nodes, a);
      assert.strictEqual(zone.safe, true, zone.reason);
      const across = await proveDown(reader, spec.nodes, [a[0], b[0]]);
      assert.strictEqual(across.safe, false);
      assert.match(
        across.reason,
        new RegExp(`ranges would lose quorum with ${a[0]}, ${b[0]} down: range \\d+: 2 of its 3 voters among them`),
      );

      const victim = namesIn(sim, ZONES[2])[0];
      sim.killNode(victim, "SIGKILL");
      await sim.waitForExit(victim);
      // Liveness expires after the TTL (9 sim s = 0.9 s); then the proof must fail.
      const deadline = Date.now() + 20_000;
      let verdict = await proveDown(reader, spec.nodes, a);
      while (verdict.safe && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        verdict = await proveDown(reader, spec.nodes, a);
      }
      assert.strictEqual(verdict.safe, false);
      assert.match(verdict.reason, new RegExp(`^${victim} not live: with ${a.join(", ")} more nodes than the batch would be down$`));
    } finally {
      await reader.close();
    }
  });
});

describe("zone-at-a-time: 4 nodes in 2 zones", function () {
  this.timeout(150_000);

  it("falls back to one node at a time, saying which range has 2 of its 3 voters in one zone", async () => {
    const zones = ["region=r1,zone=a", "region=r1,zone=b"];
    const sim = await startSimCluster({ nodes: 4, version: FROM, baseIp: "127.0.91.10", timeScale: 0.1, localities: zonesFor(4, zones) });
    const served = await sim.serveReleases(sim.buildRelease(TO).dir);
    try {
      const olds = await adopted(sim, served.url);
      const monitor = await InvariantMonitor.start(watched(sim), 250, { rangeHealth: true });
      const up = await converge("crdb-zone2", olds, localityInputs(sim, served.url, TO));
      await monitor.stop();
      assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
      const log = up.lines.join("\n");
      assert.match(log, /4 node\(s\), one at a time/);
      assert.match(
        log,
        /note: locality batching fell back to one node at a time: \d+ of \d+ ranges would lose quorum with region=r1,zone=a down: range \d+: 2 of its 3 voters among them \(n[13], n[13]\)/,
      );
      assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
      assert.strictEqual(monitor.unavailableRanges().max, 0);
      assert.deepStrictEqual(
        nodeFacts(sim).map((f) => f.binary),
        sim.providerNodes.map(() => TO),
      );
    } finally {
      await served.close();
      await sim.stop();
    }
  });
});
