/**
 * Files that tie a store to its simulated cluster, and the store's own
 * files: its metadata (node ID, cluster ID, last cluster version) and its
 * lock. Layout under a cluster dir written by `sim up`:
 *   <dir>/sim-cluster.json      this file's ClusterConfig
 *   <dir>/fabric.sock, fabric.pid, fabric.log
 *   <dir>/nI/store/sim-store.json, LOCK
 * A store finds its cluster by walking up from the store path, so a node
 * started on a fresh store inside the cluster dir joins it too.
 */
import * as fs from "fs";
import * as path from "path";

export const CLUSTER_FILE = "sim-cluster.json";

export interface ClusterConfig {
  readonly dir: string;
  readonly socket: string;
  /** Cluster version at bootstrap, e.g. "23.1". */
  readonly initialVersion: string;
  readonly timeScale: number;
  readonly livenessTtlS: number;
}

export interface StoreMeta {
  readonly storeId: string;
  readonly clusterId: string;
  readonly nodeId: number;
  /** The cluster version this store last ran at, e.g. "23.1". */
  readonly version: string;
}

export function writeClusterConfig(cfg: ClusterConfig): void {
  fs.writeFileSync(path.join(cfg.dir, CLUSTER_FILE), JSON.stringify(cfg, null, 2) + "\n");
}

export function readClusterConfig(dir: string): ClusterConfig {
  return JSON.parse(fs.readFileSync(path.join(dir, CLUSTER_FILE), "utf8")) as ClusterConfig;
}

/** The cluster config of the nearest enclosing cluster dir, or undefined. */
export function findClusterConfig(storePath: string): ClusterConfig | undefined {
  const fromEnv = process.env.CRDB_SIM_CLUSTER_DIR;
  if (fromEnv && fs.existsSync(path.join(fromEnv, CLUSTER_FILE))) return readClusterConfig(fromEnv);
  let dir = path.resolve(storePath);
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, CLUSTER_FILE))) return readClusterConfig(dir);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function readStoreMeta(storePath: string): StoreMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(storePath, "sim-store.json"), "utf8")) as StoreMeta;
  } catch {
    return undefined;
  }
}

export function writeStoreMeta(storePath: string, meta: StoreMeta): void {
  const file = path.join(storePath, "sim-store.json");
  fs.writeFileSync(file + ".tmp", JSON.stringify(meta) + "\n");
  fs.renameSync(file + ".tmp", file);
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/**
 * An exited process its parent has not reaped yet still answers kill(0),
 * but holds nothing: a real store lock (flock) is released at exit. Where
 * PID 1 reaps slowly (containers), treating zombies as alive would keep a
 * crashed node's store "locked" for seconds.
 */
function isZombie(pid: number): boolean {
  try {
    return fs
      .readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /s, "")
      .startsWith("Z");
  } catch {
    return false;
  }
}

/**
 * Takes the store's LOCK file for this process. Fails while another live
 * process holds it, as Pebble's file lock does.
 */
export function lockStore(storePath: string): void {
  fs.mkdirSync(storePath, { recursive: true });
  const lock = path.join(storePath, "LOCK");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(fs.readFileSync(lock, "utf8").trim());
      if (!holder || (holder !== process.pid && isProcessAlive(holder))) {
        throw new Error(
          `could not acquire lock on store ${storePath}: ${lock}: resource temporarily unavailable (held by pid ${holder || "?"})`,
        );
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new Error(`could not acquire lock on store ${storePath}`);
}

export function unlockStore(storePath: string): void {
  const lock = path.join(storePath, "LOCK");
  try {
    if (Number(fs.readFileSync(lock, "utf8").trim()) === process.pid) fs.rmSync(lock, { force: true });
  } catch {
    // Already gone.
  }
}
