/**
 * The cluster settings the simulator knows, their types, defaults, aliases
 * and validation (reference §4, §5). Values are kept as canonical strings;
 * durations as Go duration strings ("10s"). The `version` setting is not
 * here: it is the cluster version, owned by `upgrade.ts`.
 */
import { formatGoDuration, parseGoDuration } from "../common/durations";
import { Series, compareSeries, parseSeries } from "../common/versions";

export type SettingType = "duration" | "bool" | "string";

export interface SettingDef {
  readonly name: string;
  /** Older names that still resolve (e.g. server.shutdown.drain_wait). */
  readonly aliases: readonly string[];
  readonly type: SettingType;
  readonly defaultValue: string;
  readonly description: string;
  /** First series whose binaries know the setting (under this name). */
  readonly since?: Series;
}

const V23_2 = parseSeries("23.2");

export const SETTINGS: readonly SettingDef[] = [
  {
    name: "server.shutdown.initial_wait",
    aliases: ["server.shutdown.drain_wait"],
    type: "duration",
    defaultValue: "0s",
    description: "the amount of time a server waits in an unready state before proceeding with a drain",
  },
  {
    name: "server.shutdown.connections.timeout",
    aliases: ["server.shutdown.connection_wait"],
    type: "duration",
    defaultValue: "0s",
    description: "the maximum amount of time a server waits for all SQL connections to be closed before proceeding with a drain",
  },
  {
    name: "server.shutdown.transactions.timeout",
    aliases: ["server.shutdown.query_wait"],
    type: "duration",
    defaultValue: "10s",
    description: "the timeout for waiting for active transactions to finish during a drain",
  },
  {
    // CR pkg/server/drain.go: registered as jobs_wait with the name jobs.timeout, default 10s, at most 10m.
    name: "server.shutdown.jobs.timeout",
    aliases: ["server.shutdown.jobs_wait"],
    type: "duration",
    defaultValue: "10s",
    description:
      "the maximum amount of time a server waits for all currently executing jobs to notice drain request and to perform orderly shutdown",
  },
  {
    name: "server.shutdown.lease_transfer_iteration.timeout",
    aliases: ["server.shutdown.lease_transfer_wait"],
    type: "duration",
    defaultValue: "5s",
    description: "the timeout for a single iteration of the range lease transfer phase of draining",
  },
  {
    name: "server.time_until_store_dead",
    aliases: [],
    type: "duration",
    defaultValue: "5m0s",
    description: "the time after which if there is no new gossiped information about a store, it is considered dead",
  },
  {
    name: "cluster.preserve_downgrade_option",
    aliases: [],
    type: "string",
    defaultValue: "",
    description: "disable (automatic or manual) cluster version upgrade from the specified version until reset",
  },
  {
    // CR pkg/ccl/utilccl/license_check.go (enterprise.license); decoded as licenseccl.Decode does (license.ts).
    name: "enterprise.license",
    aliases: [],
    type: "string",
    defaultValue: "",
    description: "the encoded cluster license",
  },
  {
    // CR pkg/util/log/logcrash (DiagnosticsReportingEnabled): on by default.
    name: "diagnostics.reporting.enabled",
    aliases: [],
    type: "bool",
    defaultValue: "true",
    description: "enable reporting diagnostic metrics to cockroach labs",
  },
  {
    // Which virtual cluster a connection without -ccluster= lands in (v23.2+; `cockroach init --virtualized` sets "main").
    name: "server.controller.default_target_cluster",
    aliases: [],
    type: "string",
    defaultValue: "system",
    description: "name of the virtual cluster to use when SQL or HTTP clients don't specify a target cluster",
    since: V23_2,
  },
  {
    name: "cluster.auto_upgrade.enabled",
    aliases: [],
    type: "bool",
    defaultValue: "true",
    description: "disable automatic cluster version upgrade until reset",
    since: V23_2,
  },
];

/** The shutdown settings were renamed in v23.2; older binaries know only the old names. */
const RENAMED_IN_23_2 = new Set(SETTINGS.filter((s) => s.name.startsWith("server.shutdown.")).map((s) => s.name));

export class UnknownSetting extends Error {
  constructor(readonly settingName: string) {
    super(`unknown cluster setting '${settingName}'`);
  }
}

/** Finds a setting by name or alias as a gateway running `gateway` sees it. */
export function lookupSetting(name: string, gateway: Series): SettingDef {
  const lower = name.toLowerCase();
  for (const def of SETTINGS) {
    const modern = compareSeries(gateway, V23_2) >= 0;
    if (def.since && compareSeries(gateway, def.since) < 0) continue;
    if (def.name === lower && (modern || !RENAMED_IN_23_2.has(def.name))) return def;
    if (def.aliases.includes(lower)) return def;
  }
  throw new UnknownSetting(lower);
}

/** Parses a SET value into the canonical string, or throws with CockroachDB's wording. */
export function canonicalValue(def: SettingDef, raw: unknown): string {
  const text = typeof raw === "string" ? raw : String(raw);
  switch (def.type) {
    case "duration": {
      const ms = parseGoDuration(text) ?? parseIntervalText(text);
      if (ms === undefined || ms < 0) throw new Error(`could not parse "${text}" as type interval`);
      return formatGoDuration(ms);
    }
    case "bool": {
      const b = parseBool(text);
      if (b === undefined) throw new Error(`could not parse "${text}" as type bool`);
      return String(b);
    }
    case "string":
      return text;
  }
}

export function durationMs(value: string): number {
  return parseGoDuration(value) ?? 0;
}

/** SHOW CLUSTER SETTING renders durations as SQL intervals: "00:00:10", "00:05:00". */
export function intervalText(goDuration: string): string {
  const ms = durationMs(goDuration);
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const p = (n: number): string => String(n).padStart(2, "0");
  const frac = s % 1 === 0 ? "" : String(Number((s % 1).toFixed(6))).slice(1);
  return `${p(h)}:${p(m)}:${p(Math.floor(s))}${frac}`;
}

function parseIntervalText(text: string): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return undefined;
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}

function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (["true", "t", "on", "yes", "1"].includes(t)) return true;
  if (["false", "f", "off", "no", "0"].includes(t)) return false;
  return undefined;
}
