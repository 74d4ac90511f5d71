/**
 * Field readers for spec.ts: each reads one raw value at a dotted path,
 * records a failure naming the path and what is allowed, and returns the
 * normalised value, or undefined when the value is absent, invalid or
 * unknown (the preview sentinel). Readers never throw, so one pass collects
 * every failure, the way pulumi-command's Check does.
 *
 * Secret values are never put into a reason: readers that may see one take
 * `secret: true` and describe the value only by its type.
 */
import { durationMsOrReason } from "../core/duration";
import type { CheckFailure } from "../core/types";
import { UNKNOWN } from "../core/types";

export type Raw = Readonly<Record<string, unknown>>;

/** Collects failures; in strict mode (parseSpec) an unknown value is itself a failure. */
export class Reader {
  readonly failures: CheckFailure[] = [];
  constructor(readonly unknownIsFailure: boolean) {}

  fail(property: string, reason: string): undefined {
    this.failures.push({ property, reason });
    return undefined;
  }

  /** True when `v` is the preview sentinel; then the caller skips validating it. */
  isUnknown(path: string, v: unknown): boolean {
    if (v !== UNKNOWN) return false;
    if (this.unknownIsFailure) this.fail(path, "is unknown (computed by another resource); it must be known before the cluster is touched");
    return true;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** A short, safe rendering of a non-secret value for reasons. */
export function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return Array.isArray(v) ? "an array" : "an object";
}

/** The type of a value, for secret fields whose content must not be shown. */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/**
 * A plain object whose keys are all in `allowed` (keys starting with "__",
 * like the engine's `__provider`, are ignored). A typo is reported with the
 * allowed keys and the nearest one.
 */
export function readObject(r: Reader, path: string, v: unknown, allowed: readonly string[]): Raw | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return r.fail(path || "(inputs)", `must be an object (got ${kindOf(v)})`);
  for (const key of Object.keys(v)) {
    if (allowed.includes(key) || key.startsWith("__")) continue;
    const near = nearest(key, allowed);
    const hint = near === undefined ? "" : `; did you mean "${near}"?`;
    r.fail(join(path, key), `unknown key "${key}"${hint} Allowed keys: ${allowed.join(", ")}`);
  }
  return v as Raw;
}

/** The allowed key within edit distance 2 of `key`, if any (catches `waitAfterRejion`). */
function nearest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = 3;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestDist) [best, bestDist] = [a, d];
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment), so a swapped pair of letters costs 1. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export interface StringRule {
  /** Never show the value in a reason. */
  readonly secret?: boolean;
  /** Refuse "" and whitespace-only strings. Defaults to true. */
  readonly nonEmpty?: boolean;
  /** A pattern the value must match, with what it means for the reason. */
  readonly pattern?: { readonly re: RegExp; readonly expected: string };
}

export function readString(r: Reader, path: string, v: unknown, rule: StringRule = {}): string | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (typeof v !== "string") return r.fail(path, `must be a string (got ${kindOf(v)})`);
  if ((rule.nonEmpty ?? true) && v.trim() === "") return r.fail(path, "must not be empty");
  // The value is rendered only for a reason (a 500-node spec reads thousands of strings).
  if (rule.pattern && !rule.pattern.re.test(v))
    return r.fail(path, `must be ${rule.pattern.expected}${rule.secret ? "" : ` (got ${shown(v)})`}`);
  return v;
}

export function readRequiredString(r: Reader, path: string, v: unknown, rule: StringRule = {}): string | undefined {
  if (v === undefined) return r.fail(path, "is required");
  return readString(r, path, v, rule);
}

export function readBool(r: Reader, path: string, v: unknown): boolean | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (typeof v !== "boolean") return r.fail(path, `must be true or false (got ${shown(v)})`);
  return v;
}

export function readInt(r: Reader, path: string, v: unknown, min: number, max: number): number | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) return r.fail(path, `must be a whole number from ${min} to ${max} (got ${shown(v)})`);
  if (v < min || v > max) return r.fail(path, `must be from ${min} to ${max} (got ${v})`);
  return v;
}

export function readOneOf<T extends string>(r: Reader, path: string, v: unknown, values: readonly T[]): T | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    return r.fail(path, `must be one of ${values.map((x) => `"${x}"`).join(", ")} (got ${shown(v)})`);
  }
  return v as T;
}

/** A duration in ms; `positive` refuses 0 (deadlines), otherwise 0 is allowed (bakes). */
export function readDuration(r: Reader, path: string, v: unknown, positive: boolean): number | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  const ms = durationMsOrReason(v);
  if (typeof ms === "string") return r.fail(path, ms);
  if (positive && ms <= 0) return r.fail(path, `must be greater than zero (got ${shown(v)})`);
  return ms;
}

/** An absolute POSIX path without newlines or NULs (it is passed to shell commands). */
export function readAbsPath(r: Reader, path: string, v: unknown): string | undefined {
  return readString(r, path, v, { pattern: { re: /^\/[^\0\n\r]*$/, expected: "an absolute path like /usr/local/bin/cockroach" } });
}

export function readStringArray(r: Reader, path: string, v: unknown): (string | undefined)[] | undefined {
  if (v === undefined || r.isUnknown(path, v)) return undefined;
  if (!Array.isArray(v)) return r.fail(path, `must be a list of strings (got ${kindOf(v)})`);
  return v.map((item, i) => readRequiredString(r, join(path, i), item));
}

/** PEM blocks whose label says what they hold: "CERTIFICATE", "PRIVATE KEY", "OPENSSH PRIVATE KEY"... */
export function pemLabel(text: string): string | undefined {
  const m = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\s:,.-]+\r?\n?-----END \1-----$/.exec(text.trim());
  return m === null ? undefined : m[1];
}
