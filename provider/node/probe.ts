/**
 * Everything an observation needs from one node's host, in ONE command:
 * whether the process runs (per its manager: process-manager.ts statusShell,
 * the same reading as NodeOps.processState), the build of the binary, the
 * build of the kept `_old` binary, and the in-flight journal. One round trip
 * per node matters over SSH, and `cockroach version` is not free either, so
 * the caller says which parts it needs:
 * - binary: "always", or only "if-stopped" (outputs report the running
 *   build of a running node, so its binary need not be asked);
 * - previous: "always", "never", or only when the binary is a given build
 *   (rollback candidates are nodes already on the target).
 * Pure: the script and its reading; NodeOps.probe runs it.
 */
import { shellQuote } from "../transport/transport";
import { journalPath, parseJournal as readJournalText, type NodeJournal } from "./journal";
import { statusShell } from "./process-manager";
import { parseBuildTag } from "./shell";
import type { NodeProcessState, NodeSpec } from "../core/types";

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

export function probeScript(node: NodeSpec, opts: ProbeOptions): string {
  const bin = shellQuote(node.binaryPath);
  const old = shellQuote(`${node.binaryPath}_old`);
  // statusShell sets `state`: running, stopped, draining or unknown.
  const lines = [statusShell(node.process)];
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
    const j = shellQuote(journalPath(node));
    lines.push(`if [ -f ${j} ]; then echo "journal=$(tr -d '\\n' < ${j})"; fi`);
  }
  lines.push("exit 0");
  return lines.join("\n");
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
  const j = readJournalText(text);
  if (j === undefined) errors.push("journal: unreadable inflight.json");
  return j;
}
