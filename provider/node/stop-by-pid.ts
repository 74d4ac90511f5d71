/**
 * Stopping a node the `cockroach` process manager started: SIGTERM to the pid
 * in its pid file (cockroach drains on it), a wait for the process to be
 * gone (process-manager.ts waitForExitScript: one remote loop, not a round
 * trip per poll), and SIGKILL only after the stop deadline — said in the
 * result, since it is the unclean stop the procedure avoids.
 */
import { NodeOpFailed, type NodeSubject } from "../core/errors";
import type { ExecResult } from "../transport/transport";
import { waitForExitScript } from "./process-manager";
import { trimOut } from "./shell";

export interface StopResult {
  /** The process did not exit within the stop deadline and was sent SIGKILL. */
  readonly escalated: boolean;
}

/** What the stop needs of NodeOps: its commands, whom errors name, the probe deadline for `kill`. */
export interface PidHost {
  exec(argv: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<ExecResult>;
  readonly subject: NodeSubject;
  readonly probeMs: number;
}

const STOP_POLL_MS = 100;
/** After SIGKILL the kernel frees the process at once; this only bounds a host that does not answer. */
const AFTER_KILL_MS = 10_000;

export async function stopByPid(host: PidHost, pid: number | undefined, deadlineMs: number, signal?: AbortSignal): Promise<StopResult> {
  if (pid === undefined) return { escalated: false };
  await signalPid(host, pid, "TERM", signal);
  if (await waitForExit(host, pid, deadlineMs, signal)) return { escalated: false };
  await signalPid(host, pid, "KILL", signal);
  if (!(await waitForExit(host, pid, AFTER_KILL_MS, signal)))
    throw new NodeOpFailed("stop", host.subject, `process ${pid} survived SIGTERM and SIGKILL`);
  return { escalated: true };
}

async function signalPid(host: PidHost, pid: number, sig: "TERM" | "KILL", signal?: AbortSignal): Promise<void> {
  const r = await host.exec(["kill", `-${sig}`, String(pid)], host.probeMs, signal);
  // Exit 1 with "No such process" means it is already gone, which is what we want.
  if (r.code !== 0 && !/no such process/i.test(r.stderr))
    throw new NodeOpFailed("stop", host.subject, `kill -${sig} ${pid} failed`, trimOut(r.stderr));
}

async function waitForExit(host: PidHost, pid: number, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  const tries = Math.max(1, Math.ceil(deadlineMs / STOP_POLL_MS));
  const r = await host.exec(["sh", "-c", waitForExitScript(pid, tries, STOP_POLL_MS)], deadlineMs + 30_000, signal);
  return r.code === 0;
}
