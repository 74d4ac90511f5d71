/**
 * Everything an observation needs from one node's host, in ONE command:
 * whether the process runs (per its manager), the build of the binary, the
 * build of the kept `_old` binary, and the in-flight journal. One round trip
 * per node matters over SSH, and `cockroach version` is not free either, so
 * the caller says which parts it needs:
 * - binary: "always", or only "if-stopped" (outputs report the running
 *   build of a running node, so its binary need not be asked);
 * - previous: "always", "never", or only when the binary is a given build
 *   (rollback candidates are nodes already on the target).
 */
import { shellQuote } from "../transport/transport";
import type { NodeJournal, NodeOps } from "./ops";
import { ALIVE_FN, parseBuildTag } from "./ops";
import type { NodeProcessState } from "../core/types";

export interface ProbeOptions {
  readonly binary?: "always" | "if-stopped";
  readonly previous?: "always" | "never" | { readonly whenBinaryIs: string };
  readonly journal?: boolean;
}

export interface ProbeResult {
  readonly process: NodeProcessState;
  readonly binaryBuild?: string;
  readonly previousBuild?: string;
  readonly journal?: NodeJournal;
  /** What could not be read, for the observation's errors. */
  readonly errors: readonly string[];
}

const PROBE_TIMEOUT_MS = 30_000;

export async function probeNode(ops: NodeOps, opts: ProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
  const script = probeScript(ops, opts);
  const r = await ops.transportRef.exec(["sh", "-c", script], { timeoutMs: PROBE_TIMEOUT_MS, signal });
  return parseProbe(r.stdout);
}

function probeScript(ops: NodeOps, opts: ProbeOptions): string {
  const node = ops.node;
  const bin = shellQuote(node.binaryPath);
  const old = shellQuote(ops.oldBinaryPath);
  const lines = [ALIVE_FN, processLines(ops)];
  // `state` is set by processLines: running or stopped (or the systemd word).
  const wantBinary = opts.binary === "if-stopped" ? '[ "$state" != running ]' : "true";
  lines.push(
    `bin=""; if ${wantBinary}; then if [ -e ${bin} ]; then bin=$(${bin} version --build-tag 2>/dev/null | head -n 1) && echo "binary=$bin" || echo "binary-error"; else echo "binary-absent"; fi; fi`,
  );
  const prev = opts.previous ?? "always";
  const wantPrevious = prev === "always" ? "true" : prev === "never" ? "false" : `[ "$bin" = ${shellQuote(prev.whenBinaryIs)} ]`;
  lines.push(
    `if ${wantPrevious}; then if [ -e ${old} ]; then p=$(${old} version --build-tag 2>/dev/null | head -n 1) && echo "previous=$p" || echo "previous-error"; else echo "previous-absent"; fi; fi`,
  );
  if (opts.journal !== false) {
    const j = shellQuote(`${node.stagingDir}/inflight.json`);
    lines.push(`if [ -f ${j} ]; then echo "journal=$(tr -d '\\n' < ${j})"; fi`);
  }
  lines.push("exit 0");
  return lines.join("\n");
}

function processLines(ops: NodeOps): string {
  const pm = ops.node.process;
  if (pm.manager === "cockroach") {
    const f = shellQuote(pm.pidFile);
    return `state=stopped; if [ -s ${f} ]; then pid=$(tr -dc 0-9 < ${f}); if [ -n "$pid" ] && alive "$pid"; then state=running; fi; fi; echo "process=$state"`;
  }
  if (pm.manager === "systemd") {
    const sudo = pm.useSudo ? "sudo -n " : "";
    return `w=$(${sudo}systemctl is-active ${shellQuote(pm.unit)} 2>/dev/null); case "$w" in active|reloading|activating) state=running ;; deactivating) state=draining ;; "") state=unknown ;; *) state=stopped ;; esac; echo "process=$state"`;
  }
  return `if sh -c ${shellQuote(pm.status)} >/dev/null 2>&1; then state=running; else state=stopped; fi; echo "process=$state"`;
}

export function parseProbe(stdout: string): ProbeResult {
  const errors: string[] = [];
  let process: NodeProcessState = "unknown";
  let binaryBuild: string | undefined;
  let previousBuild: string | undefined;
  let journal: NodeJournal | undefined;
  let sawProcess = false;
  for (const line of stdout.split("\n")) {
    const [key, ...rest] = line.split("=");
    const value = rest.join("=");
    if (key === "process") {
      sawProcess = true;
      process = value === "running" || value === "stopped" || value === "draining" ? value : "unknown";
    } else if (key === "binary") binaryBuild = parseBuildTag(value);
    else if (key === "binary-error") errors.push("binary: cockroach version --build-tag failed");
    else if (key === "previous") previousBuild = parseBuildTag(value);
    else if (key === "previous-error") errors.push("previous binary: cockroach version --build-tag failed");
    else if (key === "journal") journal = parseJournal(value, errors);
  }
  if (!sawProcess) errors.push("process: the probe printed nothing");
  return { process, binaryBuild, previousBuild, journal, errors };
}

function parseJournal(text: string, errors: string[]): NodeJournal | undefined {
  try {
    const j = JSON.parse(text) as Partial<NodeJournal>;
    if (typeof j.target === "string" && typeof j.phase === "string") return j as NodeJournal;
  } catch {
    // fall through
  }
  errors.push("journal: unreadable inflight.json");
  return undefined;
}
