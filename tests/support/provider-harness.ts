/**
 * Helpers for the provider's integration tests: inputs for a sim cluster,
 * a fast strategy (the sim's time scale makes CockroachDB's waits short),
 * calling lifecycle methods the way the engine does while capturing the
 * progress lines, and facts about the nodes read from outside (pids,
 * binaries) to prove what was or was not touched.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import * as lifecycle from "../../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeInput, StrategyInput } from "../../provider/core/types";
import { InvariantMonitor, type WatchedNode } from "./invariant-monitor";
import { isAlive } from "./processes";
import { httpGet } from "./sim-cluster";

// Tests inject faults at phase lines ("n2 bake ..."), which the compact progress mode folds into one line per
// node: the harness asks the provider for every line (the child processes it starts inherit this).
process.env.CRDB_UPGRADE_PROGRESS ??= "verbose";

/** The part of tests/support/sim-cluster's SimCluster these tests use. */
export interface SimLike {
  readonly providerNodes: readonly NodeInput[];
  /** Set for secure clusters: /_status/vars is then served over https with this CA (clear-text HTTP redirects). */
  readonly certsDir?: string;
}

/** Short waits for a sim at time scale ~0.1: seconds instead of minutes, same logic. */
export function fastStrategy(extra: Partial<StrategyInput> = {}): StrategyInput {
  return {
    waitAfterRejoin: "1s",
    canaryBake: "1s",
    gateSamples: 2,
    gateInterval: "250ms",
    // Past one liveness expiry (9s sim = 0.9s here), so a node that died at the rejoin shows in the range flags by the re-check.
    // The post-restart catch-up is waited for by the cluster gate itself (leaders' Raft progress, catch-up.ts).
    gateRecheckAfter: "1.2s",
    deadlines: { drain: "20s", stop: "20s", start: "30s", ready: "20s", cluster: "30s", finalize: "60s" },
    overallDeadline: "10m",
    // The post-roll watch window, short: the whole-cluster watch still runs after the last node.
    watch: "1s",
    ...extra,
  };
}

export function inputsFor(
  sim: SimLike,
  version: string,
  releaseUrl: string,
  extra: Partial<ClusterVersionInputs> = {},
): ClusterVersionInputs {
  return {
    version,
    nodes: sim.providerNodes,
    sql: { insecure: true },
    release: { urlTemplate: `${releaseUrl}/cockroach-{version}.linux-amd64.tgz` },
    strategy: fastStrategy(),
    ...extra,
  };
}

export interface CallResult {
  readonly outs?: ClusterVersionOutputs;
  /** The partial-failure object the engine would get. */
  readonly failure?: {
    readonly message: string;
    readonly id: string;
    readonly properties: ClusterVersionOutputs;
    readonly reasons: readonly string[];
  };
  readonly lines: readonly string[];
  /** The same lines with the time each arrived (for the monitor's disruptionsAtBudget). */
  readonly timed?: readonly { readonly t: number; readonly line: string }[];
  readonly ms: number;
}

/**
 * update (or create when `olds` is undefined), capturing lines; never throws for a partial failure.
 * A failure's debug zip (hooks.debugZipOnFailure, on by default) is removed from this machine unless `keepEvidence`.
 */
export async function converge(
  id: string,
  olds: Partial<ClusterVersionOutputs> | undefined,
  news: ClusterVersionInputs,
  signal?: AbortSignal,
  opts: { readonly keepEvidence?: boolean; readonly onLine?: (line: string) => void } | ((line: string) => void) = {},
): Promise<CallResult> {
  const o = typeof opts === "function" ? { onLine: opts } : opts;
  const r = await convergeKeepingEvidence(id, olds, news, signal, o.onLine);
  const zip = (r.outs ?? r.failure?.properties)?.lastRollout?.debugZip?.path;
  if (zip && !o.keepEvidence) removeEvidence(zip);
  return r;
}

/** Removes a run's evidence directory, and the shared parent once it is empty. */
export function removeEvidence(zip: string): void {
  fs.rmSync(path.dirname(zip), { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(path.dirname(zip)));
  } catch {
    // not empty (another run's evidence), or gone already
  }
}

async function convergeKeepingEvidence(
  id: string,
  olds: Partial<ClusterVersionOutputs> | undefined,
  news: ClusterVersionInputs,
  signal?: AbortSignal,
  /** Called with each progress line as it arrives (a test injecting a fault at a phase). */
  onLine?: (line: string) => void,
): Promise<CallResult> {
  const lines: string[] = [];
  const timed: { t: number; line: string }[] = [];
  const t0 = Date.now();
  const opts = {
    signal,
    log: (l: string) => {
      lines.push(l);
      timed.push({ t: Date.now(), line: l });
      onLine?.(l);
    },
  };
  const n = news as unknown as Record<string, unknown>;
  try {
    const outs =
      olds === undefined
        ? (await lifecycle.create(n, opts)).outs
        : (await lifecycle.update(id, olds as Record<string, unknown>, n, opts)).outs;
    return { outs: outs as unknown as ClusterVersionOutputs, lines, timed, ms: Date.now() - t0 };
  } catch (e) {
    const f = e as CallResult["failure"];
    if (f && typeof f === "object" && "id" in f && "properties" in f) return { failure: f, lines, timed, ms: Date.now() - t0 };
    throw Object.assign(e as Error, { lines });
  }
}

export function watched(sim: SimLike): WatchedNode[] {
  return sim.providerNodes.map((n) => {
    if (typeof n.process !== "object" || n.process.manager !== "cockroach")
      throw new Error("sim nodes are managed by the cockroach process manager");
    return { name: n.name, pidFile: n.process.pidFile, httpAddr: n.httpAddr, binaryPath: n.binaryPath };
  });
}

export function watch(sim: SimLike): Promise<InvariantMonitor> {
  return InvariantMonitor.start(watched(sim));
}

/** What each node's pid file says and which build its binary is: the "was it touched" evidence. */
export function nodeFacts(
  sim: SimLike,
): { readonly name: string; readonly pid?: number; readonly alive: boolean; readonly binary: string; readonly binaryIno: number }[] {
  return watched(sim).map((w) => {
    const pid = Number(fs.readFileSync(w.pidFile, "utf8").trim());
    const binary = execFileSync(w.binaryPath, ["version", "--build-tag"], { encoding: "utf8" }).trim();
    return { name: w.name, pid, alive: isAlive(pid), binary, binaryIno: fs.statSync(w.binaryPath).ino };
  });
}

/**
 * Makes one node's staging area hold a different build of the target
 * release (e.g. one with a fault baked in), marked verified with the
 * official checksum: the provider then installs it on that node only. This
 * is how a test gets a misbehaving release onto exactly one host.
 */
export function prestageOnNode(node: NodeInput, version: string, tarball: string, officialSha256: string): void {
  const stagingDir = node.stagingDir ?? path.join(path.dirname(node.binaryPath), ".crdb-upgrade");
  const dir = path.join(stagingDir, version);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "x"), { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", path.join(dir, "x")]);
  const inner = fs.readdirSync(path.join(dir, "x"))[0];
  fs.renameSync(path.join(dir, "x", inner, "cockroach"), path.join(dir, "cockroach"));
  if (fs.existsSync(path.join(dir, "x", inner, "lib"))) fs.renameSync(path.join(dir, "x", inner, "lib"), path.join(dir, "lib"));
  fs.rmSync(path.join(dir, "x"), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, ".verified"), `${officialSha256}\n`);
}

/** The running build each node reports in /_status/vars (what the cluster really runs). */
export async function runningBuilds(sim: SimLike): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  const ca = sim.certsDir ? fs.readFileSync(path.join(sim.certsDir, "ca.crt")) : undefined;
  await Promise.all(
    sim.providerNodes.map(async (n) => {
      try {
        const res = await httpGet(n.httpAddr, "/_status/vars", 5000, ca);
        const m = /build_timestamp\{[^}]*tag="([^"]+)"/.exec(res.body);
        out[n.name] = m?.[1];
      } catch {
        out[n.name] = undefined;
      }
    }),
  );
  // In the nodes' order, whatever order the requests completed in.
  return Object.fromEntries(sim.providerNodes.map((n) => [n.name, out[n.name]]));
}
