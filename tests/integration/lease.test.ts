/**
 * One rollout at a time per cluster, against a live sim cluster: the lease
 * row in crdb_upgrade.lease. Two updates started at once (two stacks on one
 * cluster): exactly one rolls, the other refuses with LeaseHeld before
 * staging anything. A lease left by a dead run is taken over — once it
 * expired, or at once when its process on this host is gone — and the log
 * says so. A lease written by a live run elsewhere is refused until it is
 * removed by hand as the message says. A run whose lease is stolen stops at
 * the next node boundary and leaves the nodes as they are. The heartbeat
 * keeps a short-TTL lease alive for a whole roll, and it is released after.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { adoptSimCluster } from "../support/adopted-cluster";
import { sql } from "../support/cluster-sql";
import type { SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts, runningBuilds, watch, type CallResult } from "../support/provider-harness";

const VERSIONS = ["v23.1.11", "v23.1.12", "v23.1.13", "v23.1.14", "v23.1.15", "v23.1.16", "v23.1.17"];
const ID = "crdb-lease";

describe("provider: one rollout at a time (the cluster's upgrade lease)", function () {
  this.timeout(300_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let state: ClusterVersionOutputs;

  before(async () => {
    const base = { nodes: 3, version: VERSIONS[0], baseIp: "127.0.65.10", timeScale: 0.1, serve: VERSIONS.slice(1) };
    ({ sim, served, adopted: state } = await adoptSimCluster(base));
  });

  after(async () => {
    await sim?.stop();
  });

  const inputs = (version: string, extra: Partial<ClusterVersionInputs> = {}) => inputsFor(sim, version, served.url, extra);
  const leaseRows = async () => await sql(sim, "SELECT holder, token::STRING AS token, expires_at > now() AS live FROM crdb_upgrade.lease");
  /** Which versions are staged in any node's staging dir: what a run prepared to install. */
  const stagedVersions = (): string[] => {
    const seen = new Set<string>();
    for (const n of sim.providerNodes) {
      const dir = path.join(path.dirname(n.binaryPath), ".crdb-upgrade");
      if (fs.existsSync(dir)) for (const v of fs.readdirSync(dir)) if (v.startsWith("v")) seen.add(v);
    }
    return [...seen].sort();
  };

  /** Runs an update; `onLine` sees each progress line as it is printed. */
  async function update(
    olds: ClusterVersionOutputs,
    news: ClusterVersionInputs,
    onLine: (l: string) => void = () => undefined,
  ): Promise<CallResult> {
    const lines: string[] = [];
    const log = (l: string) => {
      lines.push(l);
      onLine(l);
    };
    try {
      const r = await lifecycle.update(ID, olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>, { log });
      return { outs: r.outs as unknown as ClusterVersionOutputs, lines, ms: 0 };
    } catch (e) {
      return { failure: e as CallResult["failure"], lines, ms: 0 };
    }
  }

  it("two updates started at once: exactly one rolls, the other refuses with LeaseHeld and stages nothing", async () => {
    const [a, b] = [VERSIONS[1], VERSIONS[2]];
    const monitor = await watch(sim);
    const results = await Promise.all([update(state, inputs(a)), update(state, inputs(b))]);
    await monitor.stop();
    const winners = results.filter((r) => r.outs);
    const losers = results.filter((r) => r.failure);
    assert.strictEqual(winners.length, 1, results.map((r) => r.failure?.message ?? "ok").join("\n"));
    assert.strictEqual(losers.length, 1);
    const won = winners[0].outs as ClusterVersionOutputs;
    const lost = losers[0];
    const loserVersion = won.version === a ? b : a;
    const message = lost.failure?.message ?? "";
    assert.match(message, /^preflight: refused, no node was touched: another rollout holds this cluster's upgrade lease/);
    assert.match(
      message,
      new RegExp(
        `holder host=\\S+ pid=${process.pid} boot=\\S+ run=\\S+ resource=${ID} target=${won.version.replace(/\./g, "\\.")}; expires \\S+ \\S+ UTC`,
      ),
    );
    assert.match(message, /DELETE FROM crdb_upgrade\.lease/);
    assert.ok(!lost.lines.some((l) => /stage-release|drain|hooks/.test(l)), `the refused run did nothing:\n${lost.lines.join("\n")}`);
    assert.ok(lost.failure?.properties.lastRollout?.nodes.every((n) => n.outcome === "untouched"));
    assert.ok(!stagedVersions().includes(loserVersion), `the refused run staged nothing: ${stagedVersions().join(", ")}`);
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [won.version, won.version, won.version]);
    assert.deepStrictEqual(await leaseRows(), [], "the winner released the lease");
    state = won;
  });

  it("takes over an expired lease left by a run elsewhere, with a new token, and says so", async () => {
    const stale = "host=elsewhere pid=77 boot=00000000 run=old-run resource=crdb-lease target=v23.1.99";
    await sql(
      sim,
      "INSERT INTO crdb_upgrade.lease (id, holder, token, acquired_at, expires_at, target) VALUES (1, $1, 5, now() - INTERVAL '2 minutes', now() - INTERVAL '1 minute', 'v23.1.99')",
      [stale],
    );
    const next = nextVersion();
    const r = await update(state, inputs(next));
    assert.ok(r.outs, `${r.failure?.message}\n${r.lines.join("\n")}`);
    const took = r.lines.find((l) => /took over the cluster's upgrade lease/.test(l)) ?? "";
    assert.match(took, new RegExp(`from ${stale} \\(it expired at [^)]+\\): token (\\d+), expires in 60s unless renewed`));
    assert.ok(BigInt(/token (\d+)/.exec(took)?.[1] ?? "0") > 5n, "a new, larger token");
    assert.deepStrictEqual(await leaseRows(), []);
    state = r.outs as ClusterVersionOutputs;
  });

  it("refuses a live lease from another host touching nothing, and rolls once it is removed with DELETE", async () => {
    await sql(
      sim,
      "INSERT INTO crdb_upgrade.lease (id, holder, token, acquired_at, expires_at, target) VALUES (1, 'host=ops-2 pid=4242 boot=abcdef01 run=r resource=crdb-lease target=v23.1.77', 9, now(), now() + INTERVAL '10 minutes', 'v23.1.77')",
    );
    const before = nodeFacts(sim);
    const next = nextVersion();
    const refused = await update(state, inputs(next));
    assert.match(
      refused.failure?.message ?? "",
      /another rollout holds this cluster's upgrade lease \(holder host=ops-2 pid=4242 .* target=v23\.1\.77; expires/,
    );
    assert.deepStrictEqual(nodeFacts(sim), before, "no pid or binary changed");
    assert.ok(!stagedVersions().includes(next));
    await sql(sim, "DELETE FROM crdb_upgrade.lease");
    const r = await update(state, inputs(next));
    assert.ok(r.outs, r.failure?.message);
    assert.ok(r.lines.some((l) => /took the cluster's upgrade lease: token \d+/.test(l)));
    state = r.outs as ClusterVersionOutputs;
  });

  it("takes over at once an unexpired lease whose process on this host is gone", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(dead.stdout);
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().slice(0, 8);
    const holder = `host=${os.hostname()} pid=${pid} boot=${boot} run=killed-run resource=${ID} target=${VERSIONS[5]}`;
    await sql(
      sim,
      "INSERT INTO crdb_upgrade.lease (id, holder, token, acquired_at, expires_at, target) VALUES (1, $1, 11, now(), now() + INTERVAL '10 minutes', $2)",
      [holder, VERSIONS[5]],
    );
    const next = nextVersion();
    const r = await update(state, inputs(next));
    assert.ok(r.outs, r.failure?.message);
    assert.ok(
      r.lines.some((l) =>
        l.includes(`took over the cluster's upgrade lease from ${holder} (its process (pid ${pid} on this host) is gone)`),
      ),
      r.lines.join("\n"),
    );
    state = r.outs as ClusterVersionOutputs;
  });

  it("keeps a 2s lease alive through a whole roll with its heartbeat, and stops at the next node when the lease is stolen", async () => {
    const next = nextVersion();
    const seen: { t: number; live: boolean; token: string }[] = [];
    let stolen = false;
    const sampler = setInterval(() => {
      void leaseRows().then((rows) => rows.forEach((r) => seen.push({ t: Date.now(), live: r.live === true, token: String(r.token) })));
    }, 200);
    const monitor = await watch(sim);
    let theft: NodeJS.Timeout | undefined;
    const r = await update(state, inputs(next, { strategy: fastStrategy({ leaseTtl: "2s", canaryBake: "10s" }) }), (l) => {
      // 5 s into n1's 10 s bake the run has held the lease for more than two 2s TTLs: only the heartbeat
      // kept it (the run reaches the bake itself within a TTL or two: the gate runs beside pre-flight).
      if (!theft && / n1 bake \.\.\./.test(l)) {
        theft = setTimeout(() => {
          stolen = true;
          void sql(
            sim,
            "UPDATE crdb_upgrade.lease SET holder = 'host=thief pid=1 boot=0 run=t resource=r target=v0.0.0', token = token + 1000, expires_at = now() + INTERVAL '10 minutes'",
          );
        }, 5_000);
      }
    });
    clearTimeout(theft);
    clearInterval(sampler);
    await monitor.stop();
    assert.ok(stolen, `the lease was stolen during n1's bake:\n${r.lines.join("\n")}`);
    const beforeTheft = seen.slice(
      0,
      seen.findIndex((s) => s.token !== seen[0].token),
    );
    const heldMs = beforeTheft[beforeTheft.length - 1].t - beforeTheft[0].t;
    assert.ok(heldMs > 2 * 2000, `held for ${heldMs} ms, more than two TTLs`);
    assert.ok(
      beforeTheft.every((s) => s.live),
      "renewed: never expired while the run held it",
    );
    const head = (r.failure?.message ?? "").split("\n")[0];
    assert.match(
      head,
      /^drain node n2 \(127\.0\.65\.12\): not started: this run lost the cluster's upgrade lease \(token \d+\) to host=thief .*; stopped at the node boundary, nodes left as they are$/,
    );
    assert.deepStrictEqual(monitor.disturbanceOrder(), ["n1"], "n2 and n3 were not touched");
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    const builds = await runningBuilds(sim);
    assert.deepStrictEqual(Object.values(builds), [next, state.version, state.version], "no rollback: nodes left as they are");
    assert.deepStrictEqual(
      r.failure?.properties.nodeStatuses.map((s) => s.version),
      Object.values(builds),
      "the recorded state is what the nodes run",
    );
    assert.deepStrictEqual(
      (await leaseRows()).map((x) => String(x.holder)),
      ["host=thief pid=1 boot=0 run=t resource=r target=v0.0.0"],
      "the thief's lease was not released by the loser",
    );

    // The thief is gone (removed by hand): the same update resumes and finishes.
    await sql(sim, "DELETE FROM crdb_upgrade.lease");
    const resumed = await converge(ID, r.failure?.properties, inputs(next));
    assert.ok(resumed.outs, `${resumed.failure?.message}\n${resumed.lines.join("\n")}`);
    assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [next, next, next]);
    state = resumed.outs as ClusterVersionOutputs;
  });

  function nextVersion(): string {
    return VERSIONS[VERSIONS.indexOf(state.version) + 1];
  }
});
