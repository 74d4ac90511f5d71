/**
 * The systemd process manager as pure data: the exact `systemctl` command
 * lines, how `systemctl is-active` output maps to a process state, and a unit
 * file whose stop timeout covers a drain. No I/O: node.ts runs these argv
 * through the node's Transport.
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
import type { NodeProcessState } from "../core/types";

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
 * `systemctl is-active` prints one word and exits 0 only for "active"; any
 * other exit is not an error of ours. An empty answer (sudo refused, unknown
 * unit on old systemd) is "unknown", never "stopped": we must not start a
 * second copy of a node we could not see.
 */
export function processStateFromIsActive(stdout: string): NodeProcessState {
  const word = stdout.trim().split(/\s+/)[0] ?? "";
  switch (word) {
    case "active":
    case "reloading":
    case "activating":
    case "refreshing":
      return "running";
    case "deactivating":
      return "draining";
    case "inactive":
    case "failed":
    case "dead":
      return "stopped";
    default:
      return "unknown";
  }
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
