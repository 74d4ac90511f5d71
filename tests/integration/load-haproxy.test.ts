/**
 * A client workload through HAProxy (configured as `cockroach gen haproxy`
 * writes it) keeps running while the provider rolls a 5-node sim cluster to
 * a new patch release. With server.shutdown.initial_wait raised above
 * HAProxy's check window (what strategy.loadBalancer checks at pre-flight),
 * HAProxy takes each node out on its 503 readiness answer before the node
 * refuses connections: no operation fails after one retry, no acknowledged
 * write is lost, and the invariant monitor sees one node down at a time.
 *
 * Time: the sim runs at TIME_SCALE, and so does HAProxy's check interval
 * (2000 ms × TIME_SCALE), so every wait keeps its real proportions. Settings
 * and strategy.loadBalancer are in sim seconds, as a real operator writes them.
 */
import * as assert from "assert";
import { Client } from "pg";
import { ClusterReader } from "../../provider/cluster/reader";
import { drainWarnings } from "../../provider/cluster/lb-drain";
import { parseSpec } from "../../provider/spec/parse";
import type { ClusterVersionInputs, StrategyInput } from "../../provider/core/types";
import { startHaproxy, type Haproxy } from "../support/haproxy";
import { converge, fastStrategy, inputsFor, runningBuilds, watch } from "../support/provider-harness";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { Workload, verifyAcked } from "../support/workload";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const TIME_SCALE = 0.2;
const BASE_IP = "127.0.70.10";
const LB_BIND = { host: "127.0.70.1", port: 26257 };
/** HAProxy's defaults (the generated config sets none), in sim time. */
const LB_CHECK = { checkInterval: "2s", fall: 3 } as const;
const IDLE_MS = 5_000;

/** fastStrategy scaled to TIME_SCALE; the bake outlasts the sim's 30 sim-second catch-up window (#101321). */
function scaledStrategy(extra: Partial<StrategyInput> = {}): StrategyInput {
  const s = (simSeconds: number): string => `${Math.round(simSeconds * TIME_SCALE * 1000)}ms`;
  return fastStrategy({
    waitAfterRejoin: s(35),
    canaryBake: s(35),
    gateRecheckAfter: s(22),
    // Covers the drain's client phases as written in sim seconds (8s + 0s + 2 × 10s), so no deadline warning either.
    deadlines: { drain: "60s", stop: "20s", start: "30s", ready: "20s", cluster: "30s", finalize: "60s" },
    loadBalancer: LB_CHECK,
    ...extra,
  });
}

async function sql(addr: string, text: string): Promise<void> {
  const [host, port] = addr.split(":");
  const c = new Client({ host, port: Number(port), user: "root", database: "defaultdb" });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** The pre-flight check as the provider runs it, through a real ClusterReader. */
async function preflightDrainWarnings(inputs: ClusterVersionInputs): Promise<readonly string[]> {
  const spec = parseSpec(inputs);
  const reader = new ClusterReader(spec.sql, spec.nodes);
  try {
    return await drainWarnings(spec.strategy, (name) => reader.showSetting(name));
  } finally {
    await reader.close();
  }
}

describe("load: a client workload through HAProxy during a rolling upgrade", function () {
  this.timeout(240_000);
  let sim: SimCluster | undefined;
  let lb: Haproxy | undefined;
  let served: { url: string; close(): Promise<void> } | undefined;

  after(async () => {
    await lb?.stop();
    await served?.close();
    await sim?.stop();
  });

  it("loses no operation and no acknowledged write when initial_wait outlasts HAProxy's check window", async () => {
    sim = await startSimCluster({ nodes: 5, version: FROM, baseIp: BASE_IP, timeScale: TIME_SCALE });
    served = await sim.serveReleases(sim.buildRelease(TO).dir);
    lb = await startHaproxy({ nodes: sim.providerNodes, bind: LB_BIND, checkIntervalMs: 2000 * TIME_SCALE, fall: LB_CHECK.fall, rise: 2 });
    await lb.waitAllUp();
    // The generated config's essentials (cockroach gen haproxy), checked where they matter.
    assert.match(
      lb.config,
      /balance roundrobin\n\s+option httpchk GET \/health\?ready=1\n\s+server cockroach1 127\.0\.70\.11:26257 check port 8080 inter 400 fall 3 rise 2/,
    );
    const gateway = sim.providerNodes[0].sqlAddr;

    // Pre-flight's drain check on the live cluster: the default 0s is too short, 8s is enough (v23.1 knows only drain_wait).
    const upInputs = inputsFor(sim, TO, served.url, { strategy: scaledStrategy() });
    const before = await preflightDrainWarnings(upInputs);
    assert.strictEqual(before.length, 1, before.join("\n"));
    assert.match(before[0], /initial_wait is 0s, shorter than the load balancer's check window \(2s × 3 checks\).*= '8s'/);
    await sql(gateway, "SET CLUSTER SETTING server.shutdown.drain_wait = '8s'");
    assert.deepStrictEqual(await preflightDrainWarnings(upInputs), []);

    const adopt = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(adopt.outs, `adopt failed: ${adopt.failure?.message}`);

    const workload = Workload.start({ addr: lb.addr, concurrency: 4, maxMs: 200_000 });
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rollStart = Date.now();
    const monitor = await watch(sim);
    const up = await converge("crdb-load", adopt.outs, upInputs);
    await monitor.stop();
    const rollEnd = Date.now();
    const all = await workload.stop();
    const idle = workload.stats(0, rollStart);
    const roll = workload.stats(rollStart, rollEnd);

    console.log(
      `      p99 idle ${idle.p99Ms} ms (${idle.ops} ops) | p99 during the roll ${roll.p99Ms} ms (${roll.ops} ops, ${Math.round((rollEnd - rollStart) / 1000)}s)`,
    );
    console.log(
      `      p50 idle ${idle.p50Ms} ms | p50 during the roll ${roll.p50Ms} ms | retried ${all.retried} ${JSON.stringify(all.retryKinds)}`,
    );

    assert.ok(up.outs, `update failed: ${up.failure?.message}\n${up.lines.join("\n")}`);
    assert.strictEqual(up.outs.lastRollout?.outcome, "succeeded");
    assert.strictEqual(up.outs.lastRollout?.notes, undefined, "no drain warning with initial_wait 8s");
    assert.deepStrictEqual(
      Object.values(await runningBuilds(sim)),
      sim.providerNodes.map(() => TO),
    );
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);

    assert.ok(idle.ops > 100 && roll.ops > 1000, `the workload ran throughout (idle ${idle.ops}, roll ${roll.ops} ops)`);
    assert.strictEqual(all.failures, 0, `operations failed after the retry: ${JSON.stringify(all.failureKinds)}`);
    const verified = await verifyAcked(workload.acked, [lb.addr, ...sim.providerNodes.map((n) => n.sqlAddr)]);
    for (const v of verified)
      assert.deepStrictEqual([v.addr, v.error, v.missing.length], [v.addr, undefined, 0], `acked writes missing at ${v.addr}`);
    assert.ok(all.ackedWrites > 1000, `acked writes: ${all.ackedWrites}`);

    // Why nothing failed: HAProxy took every node out while it still ran (its readiness 503 during
    // initial_wait), not when its port refused connections after it stopped.
    const downs = lb.stateChanges().filter((c) => / is DOWN/.test(c.line) && c.t >= rollStart);
    for (let i = 1; i <= 5; i++) {
      const d = downs.find((c) => c.line.includes(`psql/cockroach${i} `));
      assert.ok(
        d,
        `HAProxy never took cockroach${i} out:\n${lb
          .stateChanges()
          .map((c) => c.line)
          .join("\n")}`,
      );
      assert.doesNotMatch(d.line, /Connection refused/, `cockroach${i} was taken out only after the node stopped: ${d.line}`);
    }
    console.log(`      HAProxy took nodes out: ${downs.map((d) => /reason: ([^,]+(?:, code: \d+)?)/.exec(d.line)?.[1]).join("; ")}`);
  });
});
