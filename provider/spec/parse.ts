/**
 * The only place raw inputs are read. `checkInputs` validates (for the
 * engine's `check`: per-property failures, never throws, tolerates the
 * preview sentinel); `parseSpec` returns the fully defaulted Spec that the
 * rest of the code reads, or throws SpecError.
 *
 * Both run the same readers (spec-read, spec-node, spec-strategy), so what
 * check accepts is exactly what parseSpec can normalise.
 *
 * Release URLs: https and http (plain http only makes sense with `sha256`,
 * which every staged tarball is verified against anyway) and file:// for
 * air-gapped hosts and tests, where the tarball is already on disk.
 */
import { SpecError, UpgradeNotAllowed, isUpgradeNotAllowed, messageOf } from "../core/errors";
import type { CheckFailure, ClusterVersionInputs, ClusterVersionOutputs, NodeSpec, Spec } from "../core/types";
import { DEFAULT_RELEASE_URL, UNKNOWN } from "../core/types";
import {
  Reader,
  join,
  pemLabel,
  readAbsPath,
  readBool,
  readDuration,
  readObject,
  readOneOf,
  readRequiredString,
  readString,
  shown,
} from "./read";
import { readNodes } from "./nodes";
import { readStrategy } from "./strategy";
import { refuseSingleNodeDowntime } from "./single-node";
import { classifyMove, compareSeries, isValidVersionInput, seriesOf } from "../versions/versions";
import { redact } from "../core/redact";

const TOP_KEYS = ["version", "nodes", "sql", "release", "strategy", "hooks", "providerVersion"] as const;
const SQL_KEYS = ["user", "password", "insecure", "certsDir", "tls", "database"] as const;
const TLS_KEYS = ["ca", "cert", "key", "serverName"] as const;
const RELEASE_KEYS = ["urlTemplate", "sha256", "fetch"] as const;
const HOOK_KEYS = ["debugZip", "backupCommand", "backupSql", "debugZipOnFailure", "debugZipDeadline"] as const;

/** Defaults of `hooks`, as documented on HooksInput. */
export const HOOK_DEFAULTS = { debugZipOnFailure: true, debugZipDeadlineMs: 3 * 60_000 } as const;

/** Defaults of `sql`, as documented on SqlInput. */
export const SQL_DEFAULTS = { user: "root", database: "defaultdb", insecure: false } as const;

/** True for the preview sentinel, or any array/object holding it at any depth. */
export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (typeof v === "object" && v !== null) return Object.values(v).some(isUnknown);
  return false;
}

/**
 * For the engine's `check`: `news` is returned as the inputs (defaults are
 * applied by parseSpec, so state keeps what the user wrote) with every
 * failure found. `olds` are the old *inputs*: a move from their version to
 * the new one that CockroachDB never allows is refused here, in preview.
 */
export function checkInputs(olds: unknown, news: unknown): { inputs: ClusterVersionInputs; failures: CheckFailure[] } {
  const r = new Reader(false);
  try {
    readAll(r, news);
    const move = refuseMove(olds, news);
    if (move !== undefined) r.failures.push(move);
    const downtime = refuseSingleNodeDowntime(olds, news);
    if (downtime !== undefined) r.failures.push(downtime);
  } catch (e) {
    // A reader bug must not crash the engine's check; report it as a failure instead.
    r.fail("(inputs)", `could not be validated: ${messageOf(e)}`);
  }
  return { inputs: news as ClusterVersionInputs, failures: r.failures };
}

/** The fully defaulted Spec; throws SpecError with every failure (unknown values included). */
export function parseSpec(inputs: ClusterVersionInputs): Spec {
  const r = new Reader(true);
  const spec = readAll(r, inputs);
  if (r.failures.length > 0 || spec === undefined)
    throw new SpecError(r.failures.length > 0 ? r.failures : [{ property: "(inputs)", reason: "are incomplete" }]);
  return spec;
}

function readAll(r: Reader, v: unknown): Spec | undefined {
  const raw = readObject(r, "", v, TOP_KEYS);
  if (raw === undefined) return v === undefined ? (r.fail("(inputs)", "are required"), undefined) : undefined;
  const version = readVersion(r, raw.version);
  const nodes = readNodes(r, raw.nodes);
  const strategy = readStrategy(r, raw.strategy, nodes);
  const sql = readSql(r, raw.sql);
  const release = readRelease(r, raw.release);
  const hooks = readHooks(r, raw.hooks);
  readString(r, "providerVersion", raw.providerVersion);
  const complete = nodes.specs.length > 0 && nodes.specs.every((n): n is NodeSpec => n !== undefined);
  if (version === undefined || !complete) return undefined;
  return { version, nodes: nodes.specs as NodeSpec[], sql, release, strategy, hooks };
}

function readVersion(r: Reader, v: unknown): string | undefined {
  const tag = readRequiredString(r, "version", v);
  if (tag === undefined) return undefined;
  const reason = isValidVersionInput(tag);
  return reason === undefined ? tag : r.fail("version", `${shown(tag)} ${reason}`);
}

function refuseMove(olds: unknown, news: unknown): CheckFailure | undefined {
  const from = (olds as { version?: unknown } | undefined)?.version;
  const to = (news as { version?: unknown } | undefined)?.version;
  if (typeof from !== "string" || typeof to !== "string" || from === to) return undefined;
  if (isValidVersionInput(from) !== undefined || isValidVersionInput(to) !== undefined) return undefined;
  try {
    classifyMove(from, to, {});
    return undefined;
  } catch (e) {
    if (!isUpgradeNotAllowed(e)) throw e;
    return { property: "version", reason: e.message };
  }
}

/**
 * A major downgrade once the stored outputs say the upgrade was finalized:
 * CockroachDB cannot do it, only a restore into a new cluster can. For the
 * lifecycle's diff and update, which see the old outputs (check does not).
 */
export function refuseIfFinalized(olds: Partial<ClusterVersionOutputs>, newVersion: unknown): CheckFailure | undefined {
  const from = olds.version;
  if (olds.finalized !== true || typeof from !== "string" || typeof newVersion !== "string") return undefined;
  if (isValidVersionInput(from) !== undefined || isValidVersionInput(newVersion) !== undefined) return undefined;
  if (compareSeries(seriesOf(newVersion), seriesOf(from)) >= 0) return undefined;
  const why = new UpgradeNotAllowed(
    from,
    newVersion,
    `the upgrade to ${seriesOf(from)} was finalized${olds.clusterVersion ? ` (cluster version ${olds.clusterVersion})` : ""}; a finalized cluster cannot be downgraded; restore a backup into a new cluster running ${newVersion}`,
  );
  return { property: "version", reason: why.message };
}

function readSql(r: Reader, v: unknown): Spec["sql"] {
  const raw = readObject(r, "sql", v, SQL_KEYS) ?? {};
  const ident = { pattern: { re: /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/, expected: "a SQL name of letters, digits, _ . - (at most 63)" } };
  const user = readString(r, "sql.user", raw.user, ident) ?? SQL_DEFAULTS.user;
  const password = readString(r, "sql.password", raw.password, { secret: true });
  const insecure = readBool(r, "sql.insecure", raw.insecure) ?? SQL_DEFAULTS.insecure;
  const certsDir = readAbsPath(r, "sql.certsDir", raw.certsDir);
  const tls = readTls(r, raw.tls);
  const database = readString(r, "sql.database", raw.database, ident) ?? SQL_DEFAULTS.database;
  if (insecure && password !== undefined)
    r.fail("sql.password", "cannot be used with sql.insecure = true (insecure clusters ignore passwords); remove one");
  if (insecure && tls !== undefined) r.fail("sql.tls", "cannot be used with sql.insecure = true; remove one");
  return {
    user,
    ...(password !== undefined && { password }),
    insecure,
    ...(certsDir !== undefined && { certsDir }),
    ...(tls !== undefined && { tls }),
    database,
  };
}

function readTls(r: Reader, v: unknown): NonNullable<Spec["sql"]["tls"]> | undefined {
  const raw = readObject(r, "sql.tls", v, TLS_KEYS);
  if (raw === undefined) return undefined;
  const cert = (k: "ca" | "cert"): string | undefined => {
    const text = readString(r, join("sql.tls", k), raw[k]);
    if (text !== undefined && pemLabel(text) !== "CERTIFICATE")
      return r.fail(
        join("sql.tls", k),
        "must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), its contents rather than a path",
      );
    return text;
  };
  const ca = cert("ca");
  const clientCert = cert("cert");
  let key = readString(r, "sql.tls.key", raw.key, { secret: true });
  if (key !== undefined && !(pemLabel(key) ?? "").endsWith("PRIVATE KEY")) {
    key = r.fail(
      "sql.tls.key",
      "must be a PEM private key (-----BEGIN ... PRIVATE KEY-----), its contents rather than a path (value not shown: it is secret)",
    );
  }
  const serverName = readString(r, "sql.tls.serverName", raw.serverName, { pattern: { re: /^[A-Za-z0-9.-]+$/, expected: "a host name" } });
  if ((raw.cert === undefined) !== (raw.key === undefined))
    r.fail(raw.cert === undefined ? "sql.tls.cert" : "sql.tls.key", "sql.tls.cert and sql.tls.key go together: give both or neither");
  return {
    ...(ca !== undefined && { ca }),
    ...(clientCert !== undefined && { cert: clientCert }),
    ...(key !== undefined && { key }),
    ...(serverName !== undefined && { serverName }),
  };
}

function readRelease(r: Reader, v: unknown): Spec["release"] {
  const raw = readObject(r, "release", v, RELEASE_KEYS) ?? {};
  const urlTemplate = readUrlTemplate(r, raw.urlTemplate) ?? DEFAULT_RELEASE_URL;
  const sha256 = readString(r, "release.sha256", raw.sha256, {
    pattern: { re: /^[0-9a-fA-F]{64}$/, expected: "64 hex digits (the tarball's sha256)" },
  });
  const fetch = readOneOf(r, "release.fetch", raw.fetch, ["node", "provider"] as const) ?? "node";
  return { urlTemplate, ...(sha256 !== undefined && { sha256: sha256.toLowerCase() }), fetch };
}

function readUrlTemplate(r: Reader, v: unknown): string | undefined {
  const text = readString(r, "release.urlTemplate", v);
  if (text === undefined) return undefined;
  if (!text.includes("{version}"))
    return r.fail("release.urlTemplate", `must contain {version}, which is replaced by e.g. v23.1.12 (got ${shown(redact(text))})`);
  let url: URL;
  try {
    url = new URL(text.split("{version}").join("v0.0.0"));
  } catch {
    return r.fail("release.urlTemplate", `must be a URL like ${DEFAULT_RELEASE_URL} (got ${shown(redact(text))})`);
  }
  if (!["https:", "http:", "file:"].includes(url.protocol))
    return r.fail("release.urlTemplate", `must use https://, http:// or file:// (got ${url.protocol}//)`);
  return text;
}

function readHooks(r: Reader, v: unknown): Spec["hooks"] {
  const raw = readObject(r, "hooks", v, HOOK_KEYS) ?? {};
  const debugZip = readAbsPath(r, "hooks.debugZip", raw.debugZip);
  // Secret fields (they carry tokens, storage keys): a refusal describes them by type only.
  const backupCommand = readString(r, "hooks.backupCommand", raw.backupCommand, { secret: true });
  const backupSql = readString(r, "hooks.backupSql", raw.backupSql, { secret: true });
  const debugZipOnFailure = readBool(r, "hooks.debugZipOnFailure", raw.debugZipOnFailure) ?? HOOK_DEFAULTS.debugZipOnFailure;
  const debugZipDeadlineMs = readDuration(r, "hooks.debugZipDeadline", raw.debugZipDeadline, true) ?? HOOK_DEFAULTS.debugZipDeadlineMs;
  return {
    ...(debugZip !== undefined && { debugZip }),
    ...(backupCommand !== undefined && { backupCommand }),
    ...(backupSql !== undefined && { backupSql }),
    debugZipOnFailure,
    debugZipDeadlineMs,
  };
}
