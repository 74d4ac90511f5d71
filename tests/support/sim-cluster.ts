/**
 * A simulated CockroachDB cluster for tests, started in-process with the
 * same launcher as `npm run sim -- up` (one real OS process per node on its
 * own loopback address, plus the cluster's fabric process).
 *
 *   const c = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.11.10", timeScale: 0.1 });
 *   c.providerNodes            // the provider's `nodes` input
 *   // secure: { ..., secure: true, rootPassword: "pw" } -> c.certsDir holds ca.crt, client.root.crt/.key
 *   c.killNode("n2", "SIGKILL");
 *   const r = c.buildRelease("v23.2.5");                 // { dir, tarball, sha256 }
 *   const s = await c.serveReleases(r.dir);              // { url, close() }
 *   await c.stop();                                      // stops every process by pid, removes the dir
 *
 * Use only your own loopback range for `baseIp`.
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { isProcessAlive } from "../../sim/common/cluster-files";
import { downCluster } from "../../sim/launcher/down";
import { ClusterInfo, clusterInfo, livePid, readPlan, storeLockPid } from "../../sim/launcher/layout";
import { buildRelease as build } from "../../sim/launcher/release";
import { FileServer, serveDirectory } from "../../sim/launcher/serve";
import { upCluster } from "../../sim/launcher/up";

export interface SimClusterOptions {
  readonly nodes: number;
  readonly version: string;
  /** Node i listens on baseIp + i. */
  readonly baseIp: string;
  readonly localities?: readonly string[];
  /** Wall seconds per sim second. Defaults to 1. */
  readonly timeScale?: number;
  /** Sim seconds. Defaults to 9. */
  readonly livenessTtlS?: number;
  /** TLS with certificates in `certsDir` (ca.crt, node.crt/key, client.root.crt/key); nodes start with --certs-dir. */
  readonly secure?: boolean;
  /** Secure clusters: root's password (secret). */
  readonly rootPassword?: string;
  /** Nodes start with a separate --sql-addr: SQL on ip:26257, RPC alone on ip:26357. */
  readonly splitSql?: boolean;
}

export interface BuiltRelease {
  /** Directory holding the tarball and its .sha256sum; serve it with serveReleases. */
  readonly dir: string;
  readonly tarball: string;
  readonly sha256: string;
}

export interface SimCluster extends ClusterInfo {
  /** Stops every process of the cluster by pid (SIGTERM, SIGKILL after a grace) and removes its dir. */
  stop(): Promise<void>;
  /** Sends `signal` to the node's running process; returns its pid (undefined if it is not running). */
  killNode(name: string, signal: NodeJS.Signals): number | undefined;
  /** Resolves once the node's process has exited; rejects after `timeoutMs`. */
  waitForExit(name: string, timeoutMs?: number): Promise<void>;
  /** The pid of the node's running process, if any. */
  pidOf(name: string): number | undefined;
  /** Starts the node the way the provider does (`<binary> start --background --pid-file ... <startFlags>`). */
  startNode(name: string, binary?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** The node's log file contents ("" if none yet). */
  nodeLog(name: string): string;
  /** Builds a release tarball (+ .sha256sum) with an optional fault, in its own directory. */
  buildRelease(version: string, fault?: string): BuiltRelease;
  serveReleases(dir: string): Promise<FileServer>;
  /** Unpacks a release tarball with the system tar over the node's install dir (bin/cockroach, bin/lib/), as an operator would. */
  installRelease(name: string, tarball: string): void;
  /** SIGTERM, wait for the exit, then start again (the provider's restart). */
  restartNode(name: string): Promise<CommandResult>;
  /** The cluster JSON with the current pids. */
  status(): ClusterInfo;
}

export async function startSimCluster(opts: SimClusterOptions): Promise<SimCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-sim-"));
  const servers = new Set<FileServer>();
  let info: ClusterInfo;
  try {
    info = await upCluster({ dir, ...opts });
  } catch (e) {
    await downCluster(dir, { graceMs: 500 });
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const node = (name: string): ClusterInfo["nodes"][number] => {
    const n = info.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`sim cluster has no node named ${name} (nodes: ${info.nodes.map((x) => x.name).join(", ")})`);
    return n;
  };
  const pidOf = (name: string): number | undefined => {
    const n = node(name);
    return livePid(n.pidFile) ?? storeLockPid(n.store) ?? undefined;
  };
  const cluster: SimCluster = {
    ...info,
    async stop(): Promise<void> {
      for (const s of servers) await s.close();
      await downCluster(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    killNode(name: string, signal: NodeJS.Signals): number | undefined {
      const pid = pidOf(name);
      if (pid !== undefined) process.kill(pid, signal);
      return pid;
    },
    async waitForExit(name: string, timeoutMs = 30_000): Promise<void> {
      const pid = livePid(node(name).pidFile) ?? storeLockPid(node(name).store);
      const deadline = Date.now() + timeoutMs;
      while (pid !== null && isProcessAlive(pid)) {
        if (Date.now() > deadline) throw new Error(`node ${name} (pid ${pid}) did not exit within ${timeoutMs}ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    pidOf,
    startNode(name: string, binary?: string) {
      const n = node(name);
      const plan = readPlan(dir).nodes.find((p) => p.name === name);
      const args = ["start", "--background", "--pid-file", n.pidFile, ...(plan?.startFlags ?? [])];
      return new Promise((resolve) => {
        execFile(binary ?? n.binary, args, { timeout: 120_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
    },
    nodeLog(name: string): string {
      try {
        return fs.readFileSync(node(name).log, "utf8");
      } catch {
        return "";
      }
    },
    buildRelease(version: string, fault?: string): BuiltRelease {
      const r = build(version, path.join(dir, fault ? `releases-${fault.replace(/[^a-z0-9-]/gi, "_")}` : "releases"), fault ?? "");
      return { dir: r.dir, tarball: r.tarball, sha256: r.sha256 };
    },
    async serveReleases(releaseDir: string): Promise<FileServer> {
      const s = await serveDirectory(releaseDir);
      servers.add(s);
      return {
        url: s.url,
        close: async () => {
          servers.delete(s);
          await s.close();
        },
      };
    },
    installRelease(name: string, tarball: string): void {
      const n = node(name);
      const tmp = fs.mkdtempSync(path.join(dir, ".install-"));
      try {
        execFileSync("tar", ["-xzf", tarball, "-C", tmp]);
        const unpacked = path.join(tmp, path.basename(tarball, ".tgz"));
        fs.copyFileSync(path.join(unpacked, "cockroach"), n.binary + ".new");
        fs.chmodSync(n.binary + ".new", 0o755);
        fs.renameSync(n.binary + ".new", n.binary);
        fs.cpSync(path.join(unpacked, "lib"), path.join(path.dirname(n.binary), "lib"), { recursive: true });
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    async restartNode(name: string): Promise<CommandResult> {
      if (cluster.killNode(name, "SIGTERM") !== undefined) await cluster.waitForExit(name);
      return cluster.startNode(name);
    },
    status: () => clusterInfo(readPlan(dir)),
  };
  return cluster;
}

// ---------------------------------------------------------------------------
// Small helpers for tests that talk to sim nodes the way operators do.
// ---------------------------------------------------------------------------

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a `cockroach` binary (a release script) with arguments; never throws on a non-zero exit. */
export function runCockroach(binary: string, args: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(binary, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * GET http://<hostPort><path> (https:// when `ca` is given, verifying the node
 * certificate against it); resolves with status and body, or rejects on
 * connection errors.
 */
export function httpGet(
  hostPort: string,
  pathName: string,
  timeoutMs = 5000,
  ca?: Buffer,
): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    const get = ca ? https.get : http.get;
    const req = get(`${ca ? "https" : "http"}://${hostPort}${pathName}`, { agent: false, timeout: timeoutMs, ...(ca && { ca }) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, ...(res.headers.location && { location: res.headers.location }) }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${hostPort}${pathName}: timed out`)));
    req.on("error", reject);
  });
}

/** Polls `probe` until it returns a value other than undefined; rejects with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Parses tsv output (header line first) into objects keyed by header name. */
export function parseTsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split("\n");
  const cols = head.split("\t");
  return lines.filter((l) => l !== "").map((l) => Object.fromEntries(l.split("\t").map((v, i) => [cols[i], v])));
}
