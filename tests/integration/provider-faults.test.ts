/**
 * Every simulated release fault at the first, middle and last node of a
 * 3-node roll: the update fails naming the node and phase where the fault
 * showed, the touched nodes are rolled back (most recent first, through the
 * same gates), every node ends on the old version, never more than one node
 * is down at a time, and the recorded outputs are what the nodes run.
 *
 * How a fault reaches exactly one node: the faulty build of the target
 * release is pre-staged on that node only (marked verified with the official
 * checksum), so the provider installs it there — a host whose release
 * misbehaves. `drain-timeout` is a fault of the server being drained, so
 * that node instead runs a faulty build of the OLD release before the roll.
 *
 * `drain-timeout` is not in the matrix yet: the simulator's fabric still
 * moves a stuck node's leases away on its periodic rebalance, so the drain
 * completes (reported to the simulator's owner). The provider's handling of
 * `ERROR: drain timeout` (retry once, then fail the node) is covered against
 * real processes in tests/unit/node-ops.test.ts; the setup for the case is
 * kept here (runNodeOn) for when the fault holds.
 *
 * `slow-catch-up`: the restarted node's followers stay behind on the Raft
 * log (`raftlog_behind` > 0) far longer than usual; the cluster gate waits
 * for it and fails at its deadline, naming that node — before the next
 * restart could lose quorum (#101321).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../../provider/core/types";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { converge, fastStrategy, inputsFor, nodeFacts, prestageOnNode, runningBuilds, watch } from "../support/provider-harness";

const FROM = "v23.1.11";
const TO = "v23.1.12";
const POSITIONS = [
  { label: "first", index: 0 },
  { label: "middle", index: 1 },
  { label: "last", index: 2 },
] as const;

interface FaultCase {
  readonly fault: string;
  /** Where the failure must be reported: the node name and phase, per position index. */
  readonly expect: (i: number) => { node: RegExp; phase: RegExp } | "succeeds";
}

const CASES: readonly FaultCase[] = [
  { fault: "start-fails", expect: (i) => ({ node: new RegExp(`n${i + 1}`), phase: /start/ }) },
  { fault: "never-ready", expect: (i) => ({ node: new RegExp(`n${i + 1}`), phase: /await-node/ }) },
  { fault: "crash-after=10", expect: (i) => ({ node: new RegExp(`n${i + 1}`), phase: /await-cluster|bake/ }) },
  { fault: "underreplication-stuck", expect: (i) => ({ node: new RegExp(`n${i + 1}`), phase: /await-cluster|bake/ }) },
  { fault: "slow-catch-up", expect: (i) => ({ node: new RegExp(`n${i + 1}`), phase: /await-cluster/ }) },
];

describe("provider: release faults are rolled back", function () {
  this.timeout(600_000);
  let sim: SimCluster;
  let served: { url: string; close(): Promise<void> | void };
  let good: { tarball: string; sha256: string };
  let adopted: ClusterVersionOutputs;

  before(async () => {
    sim = await startSimCluster({ nodes: 3, version: FROM, baseIp: "127.0.26.10", timeScale: 0.1 });
    const rel = sim.buildRelease(TO);
    good = rel;
    served = await sim.serveReleases(rel.dir);
    const r = await converge("", undefined, inputsFor(sim, FROM, served.url));
    assert.ok(r.outs, r.failure?.message);
    adopted = r.outs as ClusterVersionOutputs;
  });

  after(async () => {
    await served?.close();
    await sim?.stop();
  });

  function inputs(version: string): ClusterVersionInputs {
    return inputsFor(sim, version, served.url, {
      strategy: fastStrategy({
        deadlines: { drain: "2s", stop: "10s", start: "10s", ready: "4s", cluster: "5s", finalize: "30s" },
      }),
    });
  }

  /** No staged release anywhere: each case stages its own. */
  function clearStaging(): void {
    for (const n of sim.providerNodes) fs.rmSync(path.join(path.dirname(n.binaryPath), ".crdb-upgrade"), { recursive: true, force: true });
  }

  /** Replaces a node's running binary with `binary` and restarts it (test setup, before the monitor starts). */
  async function runNodeOn(name: string, binary: string): Promise<void> {
    const node = sim.providerNodes.find((n) => n.name === name);
    if (!node) throw new Error(name);
    sim.killNode(name, "SIGTERM");
    await sim.waitForExit(name, 30_000);
    fs.copyFileSync(binary, `${node.binaryPath}.tmp`);
    fs.chmodSync(`${node.binaryPath}.tmp`, 0o755);
    fs.renameSync(`${node.binaryPath}.tmp`, node.binaryPath);
    const r = await sim.startNode(name);
    assert.strictEqual(r.code, 0, `setup: restart ${name}: ${r.stderr}`);
    await waitHealthy();
  }

  /** Until a no-op update (which runs pre-flight's read-only checks) says the cluster is healthy. */
  async function waitHealthy(): Promise<void> {
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await converge("crdb-f", adopted, inputs(FROM));
      const builds = Object.values(await runningBuilds(sim));
      if (r.outs && builds.every((b) => b === FROM)) return;
      if (Date.now() > until) throw new Error(`cluster not healthy on ${FROM}: ${r.failure?.message}\n${r.lines.join("\n")}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  for (const c of CASES) {
    for (const pos of POSITIONS) {
      const expected = c.expect(pos.index);
      const what = expected === "succeeds" ? "cannot harm the cluster and the roll succeeds" : "is rolled back to the old version";
      it(`${c.fault} at the ${pos.label} node ${what}`, async () => {
        clearStaging();
        await waitHealthy();
        const target = sim.providerNodes[pos.index];
        const faulty = sim.buildRelease(c.fault === "drain-timeout" ? FROM : TO, c.fault);
        let restoreFrom: string | undefined;
        if (c.fault === "drain-timeout") {
          restoreFrom = `${target.binaryPath}.good`;
          fs.copyFileSync(target.binaryPath, restoreFrom);
          await runNodeOn(target.name, extractBinary(faulty.tarball, FROM));
        } else {
          prestageOnNode(target, TO, faulty.tarball, good.sha256);
        }
        try {
          const monitor = await watch(sim);
          const r = await converge("crdb-f", adopted, inputs(TO));
          await monitor.stop();
          assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), [], "never more than one node down or draining");
          if (expected === "succeeds") {
            assert.ok(r.outs, r.failure?.message);
            assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [TO, TO, TO]);
            // This is the file's last case: the cluster stays on TO (going back right away would
            // restart a node while the slow one still catches up — which the gate rightly refuses).
            return;
          }
          const f = r.failure;
          assert.ok(f, `the update must fail; it ${r.outs?.lastRollout?.outcome}:\n${r.lines.join("\n")}`);
          const head = f.message.split("\n")[0];
          const m = /^([a-z-]+) node (n\d) \(/.exec(head);
          assert.ok(m, `the error names phase and node: ${head}`);
          assert.doesNotMatch(head, /ROLLBACK FAILED/, r.lines.join("\n"));
          assert.match(m[1], expected.phase, head);
          assert.match(m[2], expected.node, head);
          assert.match(head, /; rolled back (n\d(, )?)+ to v23\.1\.11$/, head);
          assert.strictEqual(f.properties.lastRollout?.outcome, "rolled-back");
          assert.deepStrictEqual(
            nodeFacts(sim).map((x) => x.binary),
            [FROM, FROM, FROM],
            "every binary is the old one",
          );
          assert.deepStrictEqual(Object.values(await runningBuilds(sim)), [FROM, FROM, FROM], "every node runs the old build");
          assert.deepStrictEqual(
            f.properties.nodeStatuses.map((s) => [s.version, s.state]),
            [
              [FROM, "running"],
              [FROM, "running"],
              [FROM, "running"],
            ],
          );
        } finally {
          if (restoreFrom) await runNodeOn(target.name, restoreFrom);
        }
      });
    }
  }
});

/** The `cockroach` script inside a release tarball, extracted next to it. */
function extractBinary(tarball: string, version: string): string {
  const dir = path.join(path.dirname(tarball), `x-${version}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  require("child_process").execFileSync("tar", ["-xzf", tarball, "-C", dir]);
  return path.join(dir, `cockroach-${version}.linux-amd64`, "cockroach");
}
