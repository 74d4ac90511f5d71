/**
 * The baseline: a rolling upgrade done the way the v1.0 documentation
 * describes it, literally. For each node in turn:
 *
 *   1. stop the process with a signal to its pid (SIGTERM; the docs used
 *      `pkill cockroach`), and check that it has stopped;
 *   2. `mv cockroach cockroach_old`, then copy the new binary in;
 *   3. `cockroach start --background <the node's flags>`;
 *   4. `sleep 60`, then the next node.
 *
 * No drain command, no health gate, no rollback. The 60s wait is scaled by
 * the simulator's time scale (and configurable), like every other wait.
 *
 * Standalone:
 *   node dist/bench/naive-upgrade.js <nodes.json> <release.tgz> [sleepSeconds]
 * where nodes.json is the provider's `nodes` input (a sim's providerNodes).
 */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface NaiveNode {
  readonly name: string;
  readonly binaryPath: string;
  readonly process: { readonly manager: string; readonly pidFile?: string; readonly startFlags?: readonly string[] };
}

export interface NaiveOptions {
  readonly nodes: readonly NaiveNode[];
  /** The release tarball (cockroach-<version>.linux-amd64.tgz): unpacked once, as an operator would. */
  readonly tarball: string;
  /** The docs' `sleep 60`, in wall ms (60_000 × time scale for a sim). */
  readonly sleepMs: number;
  /** How long to wait for a stopped process to exit before giving up. Defaults to 5 minutes. */
  readonly stopTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface NaiveNodeTiming {
  readonly name: string;
  readonly stopMs: number;
  readonly swapMs: number;
  readonly startMs: number;
}

export interface NaiveResult {
  readonly wallMs: number;
  readonly nodes: readonly NaiveNodeTiming[];
}

export async function naiveUpgrade(opts: NaiveOptions): Promise<NaiveResult> {
  const log = opts.log ?? (() => undefined);
  const unpacked = unpack(opts.tarball);
  const t0 = Date.now();
  const timings: NaiveNodeTiming[] = [];
  try {
    for (const node of opts.nodes) {
      const pidFile = node.process.pidFile;
      if (node.process.manager !== "cockroach" || pidFile === undefined)
        throw new Error(`naive node ${node.name}: only pid-file managed nodes (manager "cockroach")`);
      const a = Date.now();
      await stopByPid(node.name, pidFile, opts.stopTimeoutMs ?? 300_000);
      const b = Date.now();
      swapBinary(node.binaryPath, unpacked);
      const c = Date.now();
      await start(node, pidFile);
      const d = Date.now();
      timings.push({ name: node.name, stopMs: b - a, swapMs: c - b, startMs: d - c });
      log(`${node.name}: stopped in ${b - a} ms, swapped, started in ${d - c} ms; sleeping ${opts.sleepMs} ms`);
      await new Promise((r) => setTimeout(r, opts.sleepMs));
    }
  } finally {
    fs.rmSync(unpacked.dir, { recursive: true, force: true });
  }
  return { wallMs: Date.now() - t0, nodes: timings };
}

interface Unpacked {
  readonly dir: string;
  readonly binary: string;
  readonly lib?: string;
}

function unpack(tarball: string): Unpacked {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "naive-release-"));
  execFileSync("tar", ["-xzf", tarball, "-C", dir]);
  const inner = path.join(dir, path.basename(tarball, ".tgz"));
  const lib = path.join(inner, "lib");
  return { dir, binary: path.join(inner, "cockroach"), lib: fs.existsSync(lib) ? lib : undefined };
}

/** `kill -TERM <pid>`, then "verify that the process has stopped" (the docs' `ps` check), polling. */
async function stopByPid(name: string, pidFile: string, timeoutMs: number): Promise<void> {
  const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
  if (!(pid > 0) || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`naive stop node ${name}: pid ${pid} still running ${timeoutMs} ms after SIGTERM`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `mv cockroach cockroach_old; cp <new> cockroach` (and the release's lib/ beside it). */
function swapBinary(binaryPath: string, release: Unpacked): void {
  fs.renameSync(binaryPath, `${binaryPath}_old`);
  fs.copyFileSync(release.binary, binaryPath);
  fs.chmodSync(binaryPath, 0o755);
  if (release.lib) fs.cpSync(release.lib, path.join(path.dirname(binaryPath), "lib"), { recursive: true });
}

function start(node: NaiveNode, pidFile: string): Promise<void> {
  const args = ["start", "--background", "--pid-file", pidFile, ...(node.process.startFlags ?? [])];
  return new Promise((resolve, reject) => {
    execFile(node.binaryPath, args, { timeout: 300_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`naive start node ${node.name}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** Alive and not a zombie (an exited child not yet reaped holds nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/.*\) /, "")[0] !== "Z";
  } catch {
    return false;
  }
}

if (require.main === module) {
  const [nodesFile, tarball, sleepS] = process.argv.slice(2);
  if (!nodesFile || !tarball) {
    console.error("usage: node dist/bench/naive-upgrade.js <nodes.json> <release.tgz> [sleepSeconds=60]");
    process.exit(2);
  }
  const nodes = JSON.parse(fs.readFileSync(nodesFile, "utf8")) as NaiveNode[];
  naiveUpgrade({ nodes, tarball, sleepMs: Number(sleepS ?? 60) * 1000, log: (l) => console.log(l) }).then(
    (r) => console.log(`naive upgrade of ${r.nodes.length} nodes in ${(r.wallMs / 1000).toFixed(1)}s`),
    (e: Error) => {
      console.error(e.message);
      process.exitCode = 1;
    },
  );
}
