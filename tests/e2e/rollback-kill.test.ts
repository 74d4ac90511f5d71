/**
 * SIGKILL of `pulumi` (and all its plugins) in the middle of a rollback,
 * then `pulumi cancel`, `pulumi refresh` and `pulumi up` back to the
 * previous release: the cluster must converge on the previous build, every
 * node ready, the state equal to what runs, and the invariant monitor (from
 * before the faulty up until after the recovery) must have seen no more than
 * one node down at once and no drain/stop started with a node already down.
 *
 * The fault hits the SECOND node: the release mirror (one URL, as an
 * operator's mirror) holds the previous release and the target release, the
 * target built `never-ready`; n1's staging area holds a good build of the
 * target, marked verified with the mirror's checksum (prestageOnNode). So
 * n1 (the canary) upgrades and passes, n2 never gets ready, and the rollback
 * takes n2 and n1 back. The kill comes once the rollback has started (the
 * "ROLLBACK of" line on pulumi's stdout) and the monitor sees n1, already
 * upgraded and ready, disturbed again: n1 is being taken back. The recovery
 * reverts `version` only, as reverting the config commit would.
 *
 * One 3-node cluster (127.0.185.x), time scale 0.1, the repository's root program.
 */
import * as assert from "assert";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { PulumiWorkspace } from "../support/pulumi";
import { descendantsOf } from "../support/processes";
import { rootProgram, type RootProgram } from "../support/root-program";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { fastStrategy, prestageOnNode, runningBuilds, watch } from "../support/provider-harness";
import { disruptionStarts, type InvariantMonitor, type NodeSample } from "../support/invariant-monitor";
import type { NodeStatus } from "../../provider/core/types";

const STACK = "rbkill";
const FROM = "v23.1.11";
const TO = "v23.1.12";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** pulumi's stdout, split into lines with the time each arrived; the engine repeats progress lines in its summary: the first copy counts. */
class TimedLines {
  readonly lines: { t: number; line: string }[] = [];
  private readonly seen = new Set<string>();
  private partial = "";

  attach(child: ChildProcess): void {
    child.stdout?.on("data", (d: Buffer) => {
      const parts = (this.partial + d.toString()).split("\n");
      this.partial = parts.pop() ?? "";
      const t = Date.now();
      for (const line of parts) {
        // The summary repeats a progress line under another prefix: key on the provider's own part.
        const key = line.slice(Math.max(0, line.indexOf("[crdb-upgrade ")));
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.lines.push({ t, line });
      }
    });
  }

  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l.line));
  }
}

describe("e2e: SIGKILL of pulumi during a rollback, then cancel, refresh and up to the previous release", function () {
  this.timeout(15 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let mirror: { url: string; close(): Promise<void> | void };
  let mirrorDir: string;
  let monitor: InvariantMonitor | undefined;

  const resourceOutputs = async () => {
    const exported = await ws.exportStack();
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    return (resource?.outputs ?? {}) as { nodeStatuses?: NodeStatus[]; version?: string };
  };

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.185.10", timeScale: 0.1 });
    // One mirror: the previous release as published, the target with its fault baked in.
    mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), "rbkill-releases-"));
    for (const built of [sim.buildRelease(FROM), sim.buildRelease(TO, "never-ready")]) {
      for (const f of fs.readdirSync(built.dir)) fs.copyFileSync(path.join(built.dir, f), path.join(mirrorDir, f));
    }
    mirror = await sim.serveReleases(mirrorDir);
    program = rootProgram();
    // Verbose progress: every drain/stop start is a line, for the monitor's guard check.
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK, env: { CRDB_UPGRADE_PROGRESS: "verbose" } });
    await ws.init();
    program.setConfig(STACK, {
      nodes: sim.providerNodes,
      sql: { insecure: true },
      strategy: fastStrategy(),
      version: FROM,
      release: { urlTemplate: `${mirror.url}/cockroach-{version}.linux-amd64.tgz` },
    });
    await ws.ok(["up", "--yes", "--skip-preview"]); // adopts the cluster as it runs
  });

  after(async () => {
    await monitor?.stop();
    await ws?.dispose();
    program?.dispose();
    await mirror?.close();
    if (mirrorDir) fs.rmSync(mirrorDir, { recursive: true, force: true });
    await sim?.stop();
  });

  it("n2 never gets ready on the new release; pulumi is SIGKILLed while n1 is taken back; refresh and up to the previous release converge", async () => {
    // The mirror's checksum is the "official" one; n1 holds a good build of the release under it.
    const sha = (await fetchText(`${mirror.url}/cockroach-${TO}.linux-amd64.tgz.sha256sum`)).split(/\s+/)[0];
    prestageOnNode(sim.providerNodes[0], TO, sim.buildRelease(TO).tarball, sha);
    program.setConfig(STACK, { version: TO });
    monitor = await watch(sim);
    const m = monitor;
    const out = new TimedLines();

    // 1. The faulty up, killed once the rollback is taking n1 back.
    let pulumiPid = 0;
    let ended = false;
    const up = ws
      .run(["up", "--yes", "--skip-preview"], {
        onSpawn: (c) => {
          pulumiPid = c.pid ?? 0;
          out.attach(c);
        },
      })
      .finally(() => (ended = true));
    while (!ended && !out.has(/ROLLBACK of /)) await sleep(100);
    const n1AtRollback = latest(m, "n1");
    while (!ended && !disturbedSince(n1AtRollback, latest(m, "n1"))) await sleep(50);
    if (ended) {
      const r = await up;
      assert.fail(`the up ended (code ${r.code}) before the kill: the rollback never reached n1\n${r.stdout}\n${r.stderr}`);
    }
    const nodePids = new Set(sim.providerNodes.map((n) => sim.pidOf(n.name)));
    const victims = [pulumiPid, ...descendantsOf(pulumiPid).filter((p) => !nodePids.has(p))];
    const atKill = describeNodes(m);
    killAll(victims);
    const killed = await up;
    console.log(`      killed ${victims.length} process(es) (pulumi exited ${killed.code ?? "by signal"}); nodes: ${atKill}`);
    assert.ok(m.firstDisturbance("n2") !== undefined, "n2 was touched before the kill");
    assert.ok(out.has(/ROLLBACK of [^:]*n2/), `the rollback names n2\n${killed.stdout}`);

    // 2. The operator's recovery: cancel (a file backend may hold no lock), refresh, revert the version, up.
    await ws.run(["cancel", "--yes"]);
    await ws.ok(["refresh", "--yes", "--skip-preview"]);
    program.setConfig(STACK, { version: FROM });
    const tRecovery = Date.now();
    const recovery = await ws.run(["up", "--yes", "--skip-preview"], { onSpawn: (c) => out.attach(c) });
    const recovered = out.lines.filter(
      (l) => l.t >= tRecovery && /\] \d\d:\d\d:\d\d (n\d \w+ \(node|ROLLBACK|rollback|succeeded|failed)/.test(l.line),
    );
    console.log(
      `      recovery up (${((Date.now() - tRecovery) / 1000).toFixed(1)} s):\n${recovered.map((l) => `        ${l.line.trim()}`).join("\n")}`,
    );
    await m.stop();
    monitor = undefined;
    const builds = await runningBuilds(sim);
    const outputs = await resourceOutputs();
    const why = `nodes now: ${describeNodes(m)}; running ${JSON.stringify(builds)}; outputs ${JSON.stringify(outputs.nodeStatuses)}\n--- recovery up\n${recovery.stdout}\n${recovery.stderr}`;
    assert.strictEqual(recovery.code, 0, `the recovery up succeeds\n${why}`);

    // 3. Converged on the previous build, every node ready, the state equal to what runs.
    assert.deepStrictEqual(Object.values(builds), [FROM, FROM, FROM], `every node runs the previous build\n${why}`);
    const last = m.samples[m.samples.length - 1];
    assert.deepStrictEqual(
      last.nodes.map((n) => [n.name, n.alive && n.ready]),
      sim.providerNodes.map((n) => [n.name, true]),
      `every node is up and ready\n${why}`,
    );
    assert.strictEqual(outputs.version, FROM, why);
    assert.deepStrictEqual(
      (outputs.nodeStatuses ?? []).map((s) => [s.name, s.state, s.version]),
      sim.providerNodes.map((n) => [n.name, "running", builds[n.name]]),
      `the outputs say what runs\n${why}`,
    );

    // 4. The invariants, from before the faulty up to after the recovery.
    assert.deepStrictEqual(m.violations({ maxUnavailable: 1 }), [], `never more than one node down or unready\n${why}`);
    const starts = disruptionStarts(out.lines);
    assert.ok(
      starts.some((s) => s.node === "n2"),
      `drain/stop starts were seen on stdout\n${out.lines.map((l) => l.line).join("\n")}`,
    );
    assert.deepStrictEqual(m.disruptionsAtBudget(starts, 1), [], `no drain/stop with a node already down\n${why}`);
  });

  function latest(m: InvariantMonitor, name: string): NodeSample | undefined {
    return m.samples[m.samples.length - 1]?.nodes.find((n) => n.name === name);
  }

  /** Taken down, unready, or restarted / swapped since `before`. */
  function disturbedSince(before: NodeSample | undefined, now: NodeSample | undefined): boolean {
    if (!before || !now) return false;
    return !now.alive || !now.ready || now.pid !== before.pid || now.binaryIno !== before.binaryIno;
  }

  function describeNodes(m: InvariantMonitor): string {
    return sim.providerNodes
      .map((n) => {
        const s = latest(m, n.name);
        return `${n.name} ${!s?.alive ? "down" : !s.ready ? "unready" : "ready"}`;
      })
      .join(", ");
  }
});
