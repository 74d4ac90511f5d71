/**
 * `sim up`: lays out a cluster dir, builds the release of --version, starts
 * the fabric and then each node (sequentially, so node IDs follow the names)
 * with the same command the provider uses, `<binary> start --background
 * --pid-file <pidFile> <startFlags...>`, and returns the contract JSON once
 * every node is ready. Processes are detached and outlive the caller.
 * A dir holding a stopped cluster is reused for a fresh one (its stores are
 * removed); a dir whose cluster still runs is refused.
 * `secure`: a CA (`DIR/ca.key`, `DIR/certs/ca.crt`), one node certificate
 * for every node's address, and a client certificate for root, made as
 * `cockroach cert` makes them; nodes start with `--certs-dir`. A root
 * password, if given, is set over SQL with root's client certificate and
 * never printed.
 */
import { execFile, spawn } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CLUSTER_FILE, isProcessAlive, writeClusterConfig } from "../common/cluster-files";
import { DEFAULT_LIVENESS_TTL_S } from "../common/timing";
import { formatSeries, seriesOfTag } from "../common/versions";
import { ClusterInfo, ClusterPlan, clusterInfo, livePid, planCluster, readPlan, storeLockPid, writePlan } from "./layout";
import { downCluster } from "./down";
import { buildRelease } from "./release";
import { Client } from "pg";
import { createCa, createClientCert, createNodeCert } from "../common/certs";

export interface UpOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly version: string;
  /** Node i listens on baseIp + i. Defaults to 127.0.0.10. */
  readonly baseIp?: string;
  /** One locality per node, e.g. "region=a,zone=1". */
  readonly localities?: readonly string[];
  /** Defaults to 1. */
  readonly timeScale?: number;
  /** Defaults to 9 (sim seconds). */
  readonly livenessTtlS?: number;
  /** Progress lines (stderr for the CLI). */
  readonly log?: (line: string) => void;
  /** TLS certificates and `--certs-dir` instead of `--insecure`. Defaults to false. */
  readonly secure?: boolean;
  /** Secure clusters only: a password for root (secret; never printed). */
  readonly rootPassword?: string;
  /** Nodes start with a separate --sql-addr (SQL on 26257, RPC on 26357). */
  readonly splitSql?: boolean;
}

/** The simulator's entry point (`dist/sim/main.js`). */
export const SIM_MAIN = path.resolve(__dirname, "..", "main.js");

export async function upCluster(opts: UpOptions): Promise<ClusterInfo> {
  const log = opts.log ?? (() => undefined);
  if (!(opts.nodes >= 1)) throw new Error(`--nodes must be at least 1, got ${opts.nodes}`);
  if (opts.rootPassword !== undefined && !opts.secure) throw new Error("a root password needs a secure cluster (--secure)");
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true });
  refuseRunningCluster(dir);
  clearStoppedCluster(dir);
  const timeScale = opts.timeScale ?? 1;
  const plan = planCluster({
    dir,
    version: opts.version,
    nodes: opts.nodes,
    baseIp: opts.baseIp ?? "127.0.0.10",
    localities: opts.localities ?? [],
    timeScale,
    secure: opts.secure === true,
    splitSql: opts.splitSql === true,
  });
  const release = buildRelease(opts.version, path.join(dir, "releases"));
  log(`built ${path.basename(release.tarball)} (sha256 ${release.sha256})`);
  await installRelease(release.tarball, plan);
  writeClusterConfig({
    dir,
    socket: socketPath(dir),
    initialVersion: formatSeries(seriesOfTag(opts.version)),
    timeScale,
    livenessTtlS: opts.livenessTtlS ?? DEFAULT_LIVENESS_TTL_S,
  });
  writePlan(plan);
  if (plan.certsDir) {
    makeClusterCerts(plan);
    log(`certificates in ${plan.certsDir}`);
  }
  try {
    await startFabric(dir, socketPath(dir));
    log(`fabric running (${socketPath(dir)})`);
    for (const node of plan.nodes) {
      await startNode(node.binary, ["start", "--background", "--pid-file", node.pidFile, ...node.startFlags]);
      log(`${node.name} ready on ${node.sqlAddr}`);
    }
    if (opts.rootPassword !== undefined && plan.certsDir) {
      await setRootPassword(plan.nodes[0].sqlAddr, plan.certsDir, opts.rootPassword);
      log("root password set");
    }
  } catch (e) {
    // Leave nothing half-started behind.
    await downCluster(dir, { graceMs: 500 });
    throw e;
  }
  return clusterInfo(plan);
}

/** The CA, a node certificate valid for every node address (and localhost), and root's client certificate. */
function makeClusterCerts(plan: ClusterPlan): void {
  const opts = { certsDir: plan.certsDir!, caKey: path.join(plan.dir, "ca.key") };
  createCa(opts);
  const hosts = plan.nodes.map((n) => n.sqlAddr.replace(/:\d+$/, ""));
  createNodeCert(opts, [...hosts, "localhost", "127.0.0.1"]);
  createClientCert(opts, "root");
}

/** ALTER USER root over TLS with root's client certificate (the password stays out of argv and logs). */
async function setRootPassword(sqlAddr: string, certsDir: string, password: string): Promise<void> {
  const [host, port] = [sqlAddr.replace(/:\d+$/, ""), Number(sqlAddr.replace(/^.*:/, ""))];
  const read = (f: string): Buffer => fs.readFileSync(path.join(certsDir, f));
  const client = new Client({
    host,
    port,
    user: "root",
    database: "defaultdb",
    ssl: { ca: read("ca.crt"), cert: read("client.root.crt"), key: read("client.root.key"), rejectUnauthorized: true },
  });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(`ALTER USER root WITH PASSWORD '${password.replace(/'/g, "''")}'`);
  } catch (e) {
    throw new Error(`setting the root password failed: ${(e as Error).message.replace(password, "<redacted>")}`);
  } finally {
    await client.end();
  }
}

/** Unix socket paths are limited to ~107 bytes; long dirs use a hashed name in the temp dir. */
function socketPath(dir: string): string {
  const inside = path.join(dir, "fabric.sock");
  if (Buffer.byteLength(inside) < 100) return inside;
  return path.join(os.tmpdir(), `crdb-sim-${createHash("sha256").update(dir).digest("hex").slice(0, 16)}.sock`);
}

/** Unpacks the tarball with the system tar and installs it as each node's bin/ (cockroach + lib/). */
async function installRelease(tarball: string, plan: ClusterPlan): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(plan.dir, ".unpack-"));
  try {
    await run("tar", ["-xzf", tarball, "-C", tmp]);
    const unpacked = path.join(tmp, path.basename(tarball, ".tgz"));
    for (const node of plan.nodes) {
      const bin = path.dirname(node.binary);
      fs.mkdirSync(bin, { recursive: true });
      fs.copyFileSync(path.join(unpacked, "cockroach"), node.binary);
      fs.chmodSync(node.binary, 0o755);
      fs.cpSync(path.join(unpacked, "lib"), path.join(bin, "lib"), { recursive: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function startFabric(dir: string, socket: string): Promise<void> {
  const out = fs.openSync(path.join(dir, "fabric.log"), "a");
  const child = spawn(process.execPath, [SIM_MAIN, "fabric", "--dir", dir], { detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = signal ?? `exit code ${code}`));
  child.unref();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the cluster fabric exited at start (${exited}); see ${path.join(dir, "fabric.log")}`);
    if (await canConnect(socket)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the cluster fabric did not come up within 10s; see ${path.join(dir, "fabric.log")}`);
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.createConnection(socket);
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

async function startNode(binary: string, args: readonly string[]): Promise<void> {
  try {
    await run(binary, args);
  } catch (e) {
    throw new Error(`start node ${binary}: ${(e as Error).message}`);
  }
}

function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** A dir whose fabric or nodes still run belongs to a live cluster. */
function refuseRunningCluster(dir: string): void {
  const pids = [Number(readOr(path.join(dir, "fabric.pid"), "0"))];
  if (fs.existsSync(path.join(dir, "sim-nodes.json"))) {
    for (const n of readPlan(dir).nodes) pids.push(livePid(n.pidFile) ?? 0, storeLockPid(n.store) ?? 0);
  }
  const running = pids.filter(isProcessAlive);
  if (running.length > 0) {
    throw new Error(
      `a simulated cluster is still running in ${dir} (pids ${running.join(", ")}); stop it with "npm run sim -- down --dir ${dir}"`,
    );
  }
}

/** A stopped cluster's files are replaced: `up` always starts a fresh cluster. */
function clearStoppedCluster(dir: string): void {
  for (const entry of fs.readdirSync(dir)) {
    const simOwned =
      /^(n\d+|releases(-.*)?|sim-cluster\.json|sim-nodes\.json|fabric\.(sock|pid|log)|tables\.json.*|\.unpack-.*|\.install-.*|certs|ca\.key)$/.test(
        entry,
      );
    if (simOwned) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

export { CLUSTER_FILE };
