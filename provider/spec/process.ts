/**
 * `nodes[].process`: how the node's cockroach process is run — by the
 * provider itself (`cockroach`), by a systemd unit, or by the user's commands.
 */
import type { ProcessManager } from "../core/types";
import { Reader, join, kindOf, readAbsPath, readBool, readObject, readOneOf, readRequiredString, readStringArray } from "./read";

const PROCESS_KEYS = {
  cockroach: ["manager", "startFlags", "pidFile", "logFile"],
  systemd: ["manager", "unit", "useSudo"],
  commands: ["manager", "start", "stop", "status"],
} as const;
const MANAGERS = ["cockroach", "systemd", "commands"] as const;

export function readProcess(r: Reader, p: string, v: unknown): ProcessManager | undefined {
  if (v === undefined) return r.fail(p, 'is required: { manager: "cockroach" | "systemd" | "commands", ... }');
  if (r.isUnknown(p, v)) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return r.fail(p, `must be an object with a "manager" (got ${kindOf(v)})`);
  const rawManager = (v as { readonly manager?: unknown }).manager;
  if (rawManager === undefined) return r.fail(join(p, "manager"), `is required: one of ${MANAGERS.map((m) => `"${m}"`).join(", ")}`);
  const manager = readOneOf(r, join(p, "manager"), rawManager, MANAGERS);
  const raw = manager === undefined ? undefined : readObject(r, p, v, PROCESS_KEYS[manager]);
  if (manager === undefined || raw === undefined) return undefined;
  if (manager === "systemd") {
    const unit = readRequiredString(r, join(p, "unit"), raw.unit, {
      pattern: { re: /^[A-Za-z0-9:_.\\@-]+$/, expected: 'a systemd unit name like "cockroach.service"' },
    });
    const useSudo = readBool(r, join(p, "useSudo"), raw.useSudo);
    return unit === undefined ? undefined : { manager, unit, useSudo: useSudo ?? false };
  }
  if (manager === "commands") {
    const [start, stop, status] = (["start", "stop", "status"] as const).map((k) => readRequiredString(r, join(p, k), raw[k]));
    return start === undefined || stop === undefined || status === undefined ? undefined : { manager, start, stop, status };
  }
  return readCockroachProcess(r, p, raw);
}

/** The provider adds `--background --pid-file <pidFile>` itself, so the user's flags must not. */
function readCockroachProcess(r: Reader, p: string, raw: Readonly<Record<string, unknown>>): ProcessManager | undefined {
  const flags =
    raw.startFlags === undefined
      ? r.fail(join(p, "startFlags"), 'is required: the flags after "cockroach start", e.g. ["--insecure", "--store=/data"]')
      : readStringArray(r, join(p, "startFlags"), raw.startFlags);
  flags?.forEach((f, i) => {
    if (f !== undefined && /^--(background|pid-file)(=|$)/.test(f))
      r.fail(
        join(join(p, "startFlags"), i),
        `must not contain ${f.split("=")[0]}: the provider adds --background and --pid-file <pidFile> itself`,
      );
  });
  const pidFile =
    raw.pidFile === undefined
      ? r.fail(join(p, "pidFile"), "is required, e.g. /var/run/cockroach.pid")
      : readAbsPath(r, join(p, "pidFile"), raw.pidFile);
  const logFile = readAbsPath(r, join(p, "logFile"), raw.logFile);
  if (flags === undefined || flags.some((f) => f === undefined) || pidFile === undefined) return undefined;
  return { manager: "cockroach", startFlags: flags as string[], pidFile, ...(logFile !== undefined && { logFile }) };
}
