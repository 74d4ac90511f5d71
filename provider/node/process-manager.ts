/**
 * The process managers as pure data — the one place that maps `cockroach`,
 * `systemd` and `commands` to start, stop and status: the exact command
 * lines, how their answers read as a process state, and (for systemd) a unit
 * file whose stop timeout covers a drain. No I/O: ops.ts runs these argv
 * through the node's Transport, and probe.ts embeds `statusShell` in its one
 * command, so the observation and the operations read a process the same way.
 *
 * - cockroach: `<binaryPath> start --background --pid-file <pidFile> ...`;
 *   status is the pid in the pid file being a live process (not a zombie);
 *   stop is SIGTERM to that pid (cockroach drains on it), SIGKILL after the
 *   stop deadline (ops.ts).
 * - systemd: `systemctl start|stop|is-active <unit>`, behind `sudo -n` when
 *   asked; is-active's word maps through IS_ACTIVE_STATES.
 * - commands: the user's shell commands; `status` exits 0 while it runs.
 *
 * Why TimeoutStopSec matters: `systemctl stop` sends SIGTERM, and cockroach
 * answers SIGTERM with a graceful drain (leases moved, SQL sessions closed)
 * before it exits. If systemd's stop timeout (default 90s) runs out first,
 * systemd SIGKILLs the node mid-drain, which is exactly the unclean stop the
 * rolling procedure exists to avoid. The provider drains explicitly with
 * `cockroach node drain` before stopping, but the SIGTERM drain still runs
 * and must be allowed to finish: set TimeoutStopSec to at least the drain
 * deadline (strategy.deadlines.drain, default 10m) — never below 300s, the
 * grace cockroach-operator gives pods.
 */
import * as path from "path";
import type { NodeProcessState, NodeSpec, ProcessSpec } from "../core/types";
import { shellJoin, shellQuote } from "../transport/transport";
import { ALIVE_FN } from "./shell";

export type SystemctlVerb = "start" | "stop" | "is-active";

/**
 * `systemctl <verb> <unit>`, behind `sudo -n` when the login user is not
 * root: `-n` makes sudo fail at once instead of waiting for a password
 * prompt nobody can answer (grant NOPASSWD for exactly these commands).
 */
export function systemctlArgv(verb: SystemctlVerb, unit: string, useSudo: boolean): string[] {
  return [...(useSudo ? ["sudo", "-n"] : []), "systemctl", verb, unit];
}

/**
 * Every word `systemctl is-active` prints — systemd's unit ACTIVE states
 * (man/unit-states.xml; src/basic/unit-def.c, unit_active_state_table) — and
 * the process state it means for a cockroach node:
 * - active, reloading, refreshing: the unit is active; these three are the
 *   ones is-active itself answers with exit 0 (src/systemctl/systemctl-is-active.c,
 *   verb_is_active). "refreshing" (systemd 257) is an active unit while a
 *   mount is propagated into its namespace: the process runs.
 * - activating: the process has been started and has not yet notified
 *   readiness (Type=notify), or systemd is about to restart it
 *   (auto-restart). Either way systemd is bringing it up: never "stopped",
 *   so no second start and no binary swap under it.
 * - deactivating: stopping; SIGTERM makes cockroach drain, hence "draining".
 * - inactive, failed: no process. "maintenance" is documented as "inactive
 *   and a maintenance operation is in progress" (systemctl clean): no process.
 * Anything else — empty (sudo refused, no bus), an error text, a word a
 * future systemd adds — is "unknown", never "stopped": we must not start a
 * second copy of a node we could not see, nor count it as safely down.
 */
export const IS_ACTIVE_STATES: Readonly<Record<string, NodeProcessState>> = {
  active: "running",
  reloading: "running",
  refreshing: "running",
  activating: "running",
  deactivating: "draining",
  inactive: "stopped",
  failed: "stopped",
  maintenance: "stopped",
};

/** The process state from `systemctl is-active` output (its first word), per IS_ACTIVE_STATES. */
export function processStateFromIsActive(stdout: string): NodeProcessState {
  const word = stdout.trim().split(/\s+/)[0] ?? "";
  return Object.prototype.hasOwnProperty.call(IS_ACTIVE_STATES, word) ? IS_ACTIVE_STATES[word] : "unknown";
}

type ProcessNode = Pick<NodeSpec, "binaryPath" | "stagingDir" | "process">;

/**
 * The command that starts the node. cockroach's output goes to a file so
 * that the daemon holds no pipe of ours (an SSH channel would stay open as
 * long as it lives); the file is printed afterwards for errors.
 */
export function startArgv(node: ProcessNode): string[] {
  const pm = node.process;
  if (pm.manager === "systemd") return systemctlArgv("start", pm.unit, pm.useSudo);
  if (pm.manager === "commands") return ["sh", "-c", pm.start];
  const out = shellQuote(path.posix.join(node.stagingDir, "start.out"));
  const start = shellJoin([node.binaryPath, "start", "--background", "--pid-file", pm.pidFile, ...pm.startFlags]);
  return ["sh", "-c", `mkdir -p ${shellQuote(node.stagingDir)} && ${start} >${out} 2>&1 </dev/null; rc=$?; cat ${out}; exit $rc`];
}

/** The command that stops the node; undefined for `cockroach`, which is stopped by signals to its pid (pidScript, waitForExitScript). */
export function stopArgv(pm: ProcessSpec): string[] | undefined {
  if (pm.manager === "systemd") return systemctlArgv("stop", pm.unit, pm.useSudo);
  if (pm.manager === "commands") return ["sh", "-c", pm.stop];
  return undefined;
}

/** The command that asks whether the node's process runs; read with stateFromStatus. */
export function statusArgv(pm: ProcessSpec): string[] {
  if (pm.manager === "systemd") return systemctlArgv("is-active", pm.unit, pm.useSudo);
  if (pm.manager === "commands") return ["sh", "-c", pm.status];
  return ["sh", "-c", pidScript(pm.pidFile)];
}

/** What statusArgv's answer means. */
export function stateFromStatus(pm: ProcessSpec, r: { readonly code: number | null; readonly stdout: string }): NodeProcessState {
  if (pm.manager === "systemd") return processStateFromIsActive(r.stdout);
  if (pm.manager === "commands") return r.code === 0 ? "running" : "stopped";
  return pidOf(r) !== undefined ? "running" : "stopped";
}

/** The live pid pidScript printed, if any. */
export function pidOf(r: { readonly code: number | null; readonly stdout: string }): number | undefined {
  if (r.code !== 0) return undefined;
  const pid = Number(r.stdout.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Shell lines that set `$state` to the process state and print
 * `process=<state>`, for a command that asks more in the same round trip
 * (probe.ts). The same commands and the same mapping as statusArgv +
 * stateFromStatus: for systemd the `case` is generated from IS_ACTIVE_STATES.
 */
export function statusShell(pm: ProcessSpec): string {
  let set: string;
  if (pm.manager === "systemd") {
    const byState = new Map<NodeProcessState, string[]>();
    for (const [word, state] of Object.entries(IS_ACTIVE_STATES)) byState.set(state, [...(byState.get(state) ?? []), word]);
    const arms = [...byState].map(([state, words]) => `${words.join("|")}) state=${state} ;;`).join(" ");
    const w = `$(${shellJoin(systemctlArgv("is-active", pm.unit, pm.useSudo))} 2>/dev/null | head -n 1 | cut -d' ' -f1)`;
    set = `w=${w}; case "$w" in ${arms} *) state=unknown ;; esac`;
  } else {
    const argv = statusArgv(pm);
    set = `if ${shellJoin(argv)} >/dev/null 2>&1; then state=running; else state=stopped; fi`;
  }
  return `${set}; echo "process=$state"`;
}

/** The last lines of the node's own log, where the manager keeps one; undefined otherwise. */
export function logTailArgv(pm: ProcessSpec, lines: number): string[] | undefined {
  if (pm.manager === "cockroach" && pm.logFile) return ["tail", "-n", String(lines), pm.logFile];
  if (pm.manager === "systemd") return ["journalctl", "-u", pm.unit, "-n", String(lines), "--no-pager"];
  return undefined;
}

/** Prints the pid in the pid file when that process is alive; exit 3 without a pid, 4 when it is gone. */
export function pidScript(pidFile: string): string {
  const f = shellQuote(pidFile);
  return `${ALIVE_FN}; [ -s ${f} ] || exit 3; pid=$(tr -dc 0-9 < ${f}); [ -n "$pid" ] || exit 3; alive "$pid" || exit 4; echo "$pid"`;
}

/** Exits 0 once the pid is gone, 1 after `tries` polls `pollMs` apart: one remote loop instead of a round trip per poll. */
export function waitForExitScript(pid: number, tries: number, pollMs: number): string {
  return `${ALIVE_FN}; i=0; while alive ${pid}; do [ $i -ge ${tries} ] && exit 1; sleep ${pollMs / 1000}; i=$((i+1)); done; exit 0`;
}

/** The least TimeoutStopSec (seconds) that lets a SIGTERM drain finish: the drain deadline, at least 300s. */
export function minTimeoutStopSec(drainDeadlineMs: number): number {
  return Math.max(300, Math.ceil(drainDeadlineMs / 1000));
}

export interface UnitFileOptions {
  readonly description?: string;
  /** The unix user the node runs as. Defaults to "cockroach". */
  readonly user?: string;
  readonly binaryPath: string;
  /** Flags after `start` (not `--background`: systemd supervises the foreground process). */
  readonly startFlags: readonly string[];
  /** strategy.deadlines.drain in ms. Defaults to 10 minutes. */
  readonly drainDeadlineMs?: number;
}

/** A unit file for a node managed with `process: { manager: "systemd" }` (documentation and examples). */
export function renderSystemdUnit(o: UnitFileOptions): string {
  const stopSec = minTimeoutStopSec(o.drainDeadlineMs ?? 10 * 60_000);
  return [
    "[Unit]",
    `Description=${o.description ?? "CockroachDB node"}`,
    "Requires=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=notify",
    `User=${o.user ?? "cockroach"}`,
    `ExecStart=${[o.binaryPath, "start", ...o.startFlags].join(" ")}`,
    "Restart=always",
    "RestartSec=10",
    "LimitNOFILE=35000",
    // SIGTERM starts cockroach's graceful drain; only the main process gets it.
    "KillSignal=SIGTERM",
    "KillMode=mixed",
    `TimeoutStopSec=${stopSec}`,
    "SyslogIdentifier=cockroach",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
