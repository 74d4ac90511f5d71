/**
 * The on-disk layout of a launched cluster and the JSON `sim up` prints —
 * the contract with the provider (its `nodes` input is `providerNodes`).
 *   <dir>/sim-cluster.json  fabric socket, time scale (common/cluster-files)
 *   <dir>/sim-nodes.json    the launch plan (names, addresses, flags)
 *   <dir>/releases/         the release tarball of --version (+ .sha256sum)
 *   <dir>/nI/bin/cockroach, <dir>/nI/bin/lib/   the node's install dir
 *   <dir>/nI/store/         the store;  <dir>/nI/cockroach.pid
 *   <dir>/nI/cockroach.log  the node log (startFlags carry --log-dir=<dir>/nI)
 *   <dir>/certs/, <dir>/ca.key   a secure cluster's certificates (startFlags carry
 *                               --certs-dir=<dir>/certs instead of --insecure)
 */
import * as fs from "fs";
import * as path from "path";
import { isProcessAlive, readStoreMeta } from "../common/cluster-files";

export interface NodePlan {
  readonly name: string;
  readonly sqlAddr: string;
  readonly httpAddr: string;
  readonly locality: string;
  readonly binary: string;
  readonly store: string;
  readonly log: string;
  readonly pidFile: string;
  readonly startFlags: readonly string[];
}

export interface ClusterPlan {
  readonly dir: string;
  readonly version: string;
  readonly timeScale: number;
  /** A secure cluster's certs dir (ca.crt, node.crt/key, client.root.crt/key); absent when insecure. */
  readonly certsDir?: string;
  readonly nodes: readonly NodePlan[];
}

export interface SimNodeInfo {
  readonly id: number;
  readonly name: string;
  readonly sqlAddr: string;
  readonly httpAddr: string;
  /** The running process, or null when it is not running. */
  readonly pid: number | null;
  readonly binary: string;
  readonly store: string;
  readonly log: string;
  readonly pidFile: string;
  readonly locality: string;
}

/** Exactly the provider's NodeInput shape (provider/core/types.ts), for `manager: "cockroach"`. */
export interface ProviderNodeJson {
  readonly name: string;
  readonly connection: "local";
  readonly sqlAddr: string;
  readonly httpAddr: string;
  readonly locality?: string;
  readonly binaryPath: string;
  readonly process: {
    readonly manager: "cockroach";
    readonly pidFile: string;
    readonly logFile: string;
    readonly startFlags: readonly string[];
  };
}

export interface ClusterInfo {
  readonly dir: string;
  readonly version: string;
  readonly timeScale: number;
  /** A secure cluster's certs dir; absent when insecure. */
  readonly certsDir?: string;
  readonly nodes: readonly SimNodeInfo[];
  readonly providerNodes: readonly ProviderNodeJson[];
}

const PLAN_FILE = "sim-nodes.json";

/** The RPC port of a cluster planned with `splitSql` (SQL keeps 26257). */
export const SPLIT_RPC_PORT = 26357;

/** 127.0.0.10 + 1 -> 127.0.0.11, carrying into higher octets. */
export function addToIp(base: string, n: number): string {
  const parts = base.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`--base-ip ${base} is not an IPv4 address`);
  const value = ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3] + n;
  return [24, 16, 8, 0].map((s) => (value >>> s) & 255).join(".");
}

export function planCluster(opts: {
  dir: string;
  version: string;
  nodes: number;
  baseIp: string;
  localities: readonly string[];
  timeScale: number;
  secure?: boolean;
  /** SQL on its own port (--sql-addr=ip:26257) and RPC alone on --listen-addr=ip:26357, as CockroachDB allows. */
  splitSql?: boolean;
}): ClusterPlan {
  const dir = path.resolve(opts.dir);
  const certsDir = opts.secure ? path.join(dir, "certs") : undefined;
  const ips = Array.from({ length: opts.nodes }, (_, i) => addToIp(opts.baseIp, i + 1));
  const rpcPort = opts.splitSql ? SPLIT_RPC_PORT : 26257;
  const join = ips
    .slice(0, 3)
    .map((ip) => `${ip}:${rpcPort}`)
    .join(",");
  const nodes = ips.map((ip, i): NodePlan => {
    const name = `n${i + 1}`;
    const home = path.join(dir, name);
    const locality = opts.localities[i] ?? "";
    const store = path.join(home, "store");
    const startFlags = [
      certsDir ? `--certs-dir=${certsDir}` : "--insecure",
      `--listen-addr=${ip}:${rpcPort}`,
      ...(opts.splitSql ? [`--sql-addr=${ip}:26257`] : []),
      `--http-addr=${ip}:8080`,
      `--join=${join}`,
      `--store=${store}`,
      ...(locality ? [`--locality=${locality}`] : []),
      `--log-dir=${home}`,
    ];
    return {
      name,
      sqlAddr: `${ip}:26257`,
      httpAddr: `${ip}:8080`,
      locality,
      binary: path.join(home, "bin", "cockroach"),
      store,
      log: path.join(home, "cockroach.log"),
      pidFile: path.join(home, "cockroach.pid"),
      startFlags,
    };
  });
  return { dir, version: opts.version, timeScale: opts.timeScale, ...(certsDir && { certsDir }), nodes };
}

export function writePlan(plan: ClusterPlan): void {
  fs.writeFileSync(path.join(plan.dir, PLAN_FILE), JSON.stringify(plan, null, 2) + "\n");
}

export function readPlan(dir: string): ClusterPlan {
  const file = path.join(path.resolve(dir), PLAN_FILE);
  if (!fs.existsSync(file))
    throw new Error(`${path.resolve(dir)} holds no simulated cluster (no ${PLAN_FILE}); start one with "npm run sim -- up"`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as ClusterPlan;
}

/** The pid in a pid file when that process is alive, else null. */
export function livePid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    return isProcessAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** The pid holding a store's LOCK (the node process, even before it wrote its pid file). */
export function storeLockPid(store: string): number | null {
  return livePid(path.join(store, "LOCK"));
}

export function clusterInfo(plan: ClusterPlan): ClusterInfo {
  return {
    dir: plan.dir,
    version: plan.version,
    timeScale: plan.timeScale,
    ...(plan.certsDir && { certsDir: plan.certsDir }),
    nodes: plan.nodes.map((n, i) => ({
      id: readStoreMeta(n.store)?.nodeId ?? i + 1,
      name: n.name,
      sqlAddr: n.sqlAddr,
      httpAddr: n.httpAddr,
      pid: livePid(n.pidFile) ?? storeLockPid(n.store),
      binary: n.binary,
      store: n.store,
      log: n.log,
      pidFile: n.pidFile,
      locality: n.locality,
    })),
    providerNodes: plan.nodes.map((n) => ({
      name: n.name,
      connection: "local" as const,
      sqlAddr: n.sqlAddr,
      httpAddr: n.httpAddr,
      ...(n.locality ? { locality: n.locality } : {}),
      binaryPath: n.binary,
      process: { manager: "cockroach" as const, pidFile: n.pidFile, logFile: n.log, startFlags: [...n.startFlags] },
    })),
  };
}
