/**
 * A stand-in for `systemctl`, because systemd cannot run here (PID 1 is not
 * systemd). It lets the provider's systemd process manager run end to end
 * against simulated nodes over SSH: put `dir` first on the hosts' PATH (sshd
 * SetEnv) and the provider's `systemctl stop|start|is-active <unit>` reach it.
 *
 * It keeps systemctl's observable contract for those three verbs, no more:
 * `stop` sends SIGTERM to the unit's main process and blocks until it has
 * exited (as systemctl stop does, within TimeoutStopSec); `start` blocks until
 * the node is ready (as for Type=notify units); `is-active` prints
 * active/inactive and exits 0/3; an unknown unit exits 5 with systemctl's
 * message. Every call is appended to `calls.log`, so tests can assert the
 * exact command lines the provider sent. What it cannot show is systemd's own
 * behaviour (unit files, TimeoutStopSec, journald): that stays untested here.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellQuote } from "../../provider/transport/transport";

export interface ShimUnit {
  readonly unit: string;
  readonly binaryPath: string;
  readonly pidFile: string;
  readonly startFlags: readonly string[];
}

export interface SystemctlShim {
  /** Put first on PATH. */
  readonly dir: string;
  /** Every call as "verb unit", in order. */
  calls(): string[];
  remove(): void;
}

const SCRIPT = `#!/bin/sh
# systemctl stand-in for tests (see tests/support/ssh-systemctl-shim.ts).
here=$(dirname "$0")
printf '%s\\n' "$*" >> "$here/calls.log"
verb=$1; unit=$2
if [ ! -f "$here/units/$unit" ]; then echo "Unit $unit could not be found." >&2; exit 5; fi
. "$here/units/$unit"
alive() {
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  ! grep -qs '^State:[[:space:]]*Z' "/proc/$pid/status"
}
case "$verb" in
  is-active) if alive; then echo active; exit 0; else echo inactive; exit 3; fi ;;
  start)
    alive && exit 0
    "$BINARY" start --background --pid-file "$PIDFILE" $FLAGS >/dev/null 2>&1 || { echo "Job for $unit failed because the control process exited with error code." >&2; exit 1; }
    exit 0 ;;
  stop)
    alive || exit 0
    kill -TERM "$pid"
    while alive; do sleep 0.1; done
    exit 0 ;;
  *) echo "Unknown command verb $verb." >&2; exit 1 ;;
esac
`;

export function installSystemctlShim(units: readonly ShimUnit[]): SystemctlShim {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "systemctl-shim-"));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "systemctl"), SCRIPT, { mode: 0o755 });
  fs.mkdirSync(path.join(dir, "units"));
  for (const u of units) {
    const env = [`BINARY=${shellQuote(u.binaryPath)}`, `PIDFILE=${shellQuote(u.pidFile)}`, `FLAGS=${shellQuote(u.startFlags.join(" "))}`];
    fs.writeFileSync(path.join(dir, "units", u.unit), env.join("\n") + "\n");
  }
  const log = path.join(dir, "calls.log");
  return {
    dir,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : []),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
