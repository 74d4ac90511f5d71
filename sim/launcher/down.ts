/**
 * `sim down`: stops every process of a cluster dir by pid — each node's
 * (from its pid file, or its store's LOCK when the provider restarted it and
 * the pid file is gone), then the fabric — with SIGTERM, then SIGKILL after
 * a short grace. When every node drains at once no replica is left to take
 * the last leases, so a whole-cluster drain cannot finish (as in
 * CockroachDB); waiting longer than the client phases would only add time.
 * Single nodes keep full SIGTERM semantics (`killNode`, the provider).
 */
import * as fs from "fs";
import * as path from "path";
import { isProcessAlive } from "../common/cluster-files";
import { livePid, readPlan, storeLockPid } from "./layout";

export interface DownOptions {
  /** Wall ms between SIGTERM and SIGKILL. Defaults to DEFAULT_DOWN_GRACE_MS. */
  readonly graceMs?: number;
}

export const DEFAULT_DOWN_GRACE_MS = 300;

export async function downCluster(dir: string, opts: DownOptions = {}): Promise<number[]> {
  const abs = path.resolve(dir);
  const graceMs = opts.graceMs ?? DEFAULT_DOWN_GRACE_MS;
  const nodePids = new Set<number>();
  if (fs.existsSync(path.join(abs, "sim-nodes.json"))) {
    for (const n of readPlan(abs).nodes) {
      for (const pid of [livePid(n.pidFile), storeLockPid(n.store)]) if (pid !== null) nodePids.add(pid);
    }
  }
  await stopPids([...nodePids], graceMs);
  const fabric = livePid(path.join(abs, "fabric.pid"));
  if (fabric !== null) await stopPids([fabric], 1000);
  return [...nodePids, ...(fabric !== null ? [fabric] : [])];
}

export async function stopPids(pids: readonly number[], graceMs: number): Promise<void> {
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(isProcessAlive)) signal(pid, "SIGKILL");
  const killDeadline = Date.now() + 2000;
  while (pids.some(isProcessAlive) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}
