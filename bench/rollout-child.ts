/**
 * Runs one provider update in its own process, so that the bench can read
 * the provider's memory (VmHWM, peak resident set) without the bench's own
 * workload, cluster and HAProxy bookkeeping in the figure.
 *
 *   node dist/bench/rollout-child.js <job.json> <result.json>
 *
 * job.json: { "inputs": ClusterVersionInputs } — the provider adopts the
 * cluster and converges it (lifecycle.create), exactly as `pulumi up` on a
 * new stack would.
 *
 * HTTP requests are counted through Node's built-in diagnostics channel
 * `http.client.request.start`, which the http module publishes for every
 * client request: nothing in the provider is wrapped or patched.
 */
import { spawn } from "child_process";
import * as diagnostics from "diagnostics_channel";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClientRequest } from "http";
import * as lifecycle from "../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs, RolloutRecord } from "../provider/core/types";

export interface ChildJob {
  readonly inputs: ClusterVersionInputs;
}

export interface HttpRequestSeen {
  readonly t: number;
  readonly host: string;
  readonly path: string;
}

export interface ChildResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly record?: RolloutRecord;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly httpRequests: readonly HttpRequestSeen[];
  /** Peak resident set size of this process, from /proc/self/status VmHWM. */
  readonly vmHwmKb: number;
}

export function vmHwmKb(pid: number | "self"): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Parent side: runs `inputs` in a child process and returns its result,
 * with the peak RSS also sampled from outside every 200 ms
 * (/proc/<pid>/status VmHWM) as a cross-check of the child's own reading.
 */
export async function runRolloutChild(inputs: ClusterVersionInputs): Promise<ChildResult & { readonly sampledHwmKb: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-rollout-child-"));
  try {
    const jobFile = path.join(dir, "job.json");
    const resultFile = path.join(dir, "result.json");
    fs.writeFileSync(jobFile, JSON.stringify({ inputs } satisfies ChildJob));
    const child = spawn(process.execPath, [__filename, jobFile, resultFile], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    let sampled = 0;
    const timer = setInterval(() => child.pid !== undefined && (sampled = Math.max(sampled, vmHwmKb(child.pid))), 200);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearInterval(timer);
    if (code !== 0 || !fs.existsSync(resultFile)) throw new Error(`rollout child exited ${code}: ${stderr.trim().slice(-500)}`);
    const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as ChildResult;
    return { ...result, sampledHwmKb: sampled };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(jobFile: string, resultFile: string): Promise<void> {
  const job = JSON.parse(fs.readFileSync(jobFile, "utf8")) as ChildJob;
  const httpRequests: HttpRequestSeen[] = [];
  diagnostics.subscribe("http.client.request.start", (msg) => {
    const req = (msg as { request: ClientRequest }).request;
    httpRequests.push({ t: Date.now(), host: String(req.host), path: req.path });
  });
  const startedAt = Date.now();
  let result: Omit<ChildResult, "httpRequests" | "vmHwmKb" | "endedAt">;
  try {
    const r = await lifecycle.create(job.inputs as unknown as Record<string, unknown>, { log: () => undefined });
    const outs = r.outs as unknown as ClusterVersionOutputs;
    result = { ok: true, record: outs.lastRollout, startedAt };
  } catch (e) {
    const f = e as { message?: string; properties?: ClusterVersionOutputs };
    result = { ok: false, error: f.message ?? String(e), record: f.properties?.lastRollout, startedAt };
  }
  const out: ChildResult = { ...result, endedAt: Date.now(), httpRequests, vmHwmKb: vmHwmKb("self") };
  fs.writeFileSync(resultFile, JSON.stringify(out));
}

if (require.main === module) {
  const [jobFile, resultFile] = process.argv.slice(2);
  main(jobFile, resultFile).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
