/**
 * Scalar built-in functions. Each declares its arity, result type and
 * whether it is strict (any NULL argument gives NULL). Functions with
 * `common` arguments (coalesce, greatest, ...) get their untyped arguments
 * coerced to the type of the first typed one by the compiler.
 */
import { randomUUID } from "crypto";
import { SqlError, SqlType } from "../pgwire/types";
import { CRDB_TYPE_NAMES } from "./casts";
import { Decimal } from "./decimal";
import { JsonValue, SqlValue, compareValues, valueToText } from "./values";
import { ARRAY_FUNCTIONS } from "./array-functions";
import { SqlArray } from "./arrays";

/** Per-statement facts functions may read. */
export interface FunctionContext {
  /** Statement time: every now() in one statement returns the same value. */
  readonly now: Date;
  readonly nodeExecutableVersion: string;
  readonly buildTag: string;
  readonly activeVersion?: { readonly major: number; readonly minor: number; readonly patch: number; readonly internal: number };
  readonly user: string;
  readonly database: string;
  uniqueRowid(): bigint;
}

export interface FunctionDef {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly strict: boolean;
  readonly common?: boolean;
  returns(args: readonly SqlType[]): SqlType;
  call(args: readonly SqlValue[], types: readonly SqlType[], ctx: FunctionContext): SqlValue;
}

const fixed = (t: SqlType) => (): SqlType => t;
const firstArgType = (args: readonly SqlType[]): SqlType => args[0] ?? "text";
const text = (v: SqlValue, t: SqlType): string => valueToText(v, t);

function def(
  minArgs: number,
  maxArgs: number,
  strict: boolean,
  returns: FunctionDef["returns"],
  call: FunctionDef["call"],
  common = false,
): FunctionDef {
  return { minArgs, maxArgs, strict, returns, call, common };
}

function roundValue(v: SqlValue, digits: number): SqlValue {
  if (v instanceof Decimal) return v.round(digits);
  if (typeof v === "bigint") return v;
  const f = 10 ** digits;
  const n = v as number;
  return (Math.sign(n) * Math.round(Math.abs(n) * f)) / f;
}

function pickExtreme(args: readonly SqlValue[], sign: number): SqlValue {
  let best: SqlValue = null;
  for (const a of args) if (a !== null && (best === null || compareValues(a, best) * sign > 0)) best = a;
  return best;
}

const TIMESTAMPTZ = fixed("timestamptz");

export const FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  ifnull: def(2, 2, false, firstArgType, (a) => (a[0] !== null ? a[0] : a[1]), true),
  coalesce: def(1, 100, false, firstArgType, (a) => a.find((x) => x !== null) ?? null, true),
  nullif: def(2, 2, false, firstArgType, (a) => (a[0] !== null && a[1] !== null && compareValues(a[0], a[1]) === 0 ? null : a[0]), true),
  greatest: def(1, 100, false, firstArgType, (a) => pickExtreme(a, 1), true),
  least: def(1, 100, false, firstArgType, (a) => pickExtreme(a, -1), true),
  split_part: def(3, 3, true, fixed("text"), (a, t) => {
    const n = Number(a[2]);
    if (n <= 0) throw new SqlError("22023", "field position must be greater than zero");
    return text(a[0], t[0]).split(text(a[1], t[1]))[n - 1] ?? "";
  }),
  now: def(0, 0, false, TIMESTAMPTZ, (_a, _t, ctx) => ctx.now),
  current_timestamp: def(0, 1, false, TIMESTAMPTZ, (_a, _t, ctx) => ctx.now),
  statement_timestamp: def(0, 0, false, TIMESTAMPTZ, (_a, _t, ctx) => ctx.now),
  transaction_timestamp: def(0, 0, false, TIMESTAMPTZ, (_a, _t, ctx) => ctx.now),
  clock_timestamp: def(0, 0, false, TIMESTAMPTZ, () => new Date()),
  localtimestamp: def(0, 0, false, fixed("timestamp"), (_a, _t, ctx) => ctx.now),
  lower: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).toLowerCase()),
  upper: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).toUpperCase()),
  length: def(1, 1, true, fixed("int8"), (a, t) => BigInt([...text(a[0], t[0])].length)),
  char_length: def(1, 1, true, fixed("int8"), (a, t) => BigInt([...text(a[0], t[0])].length)),
  octet_length: def(1, 1, true, fixed("int8"), (a, t) => BigInt(Buffer.byteLength(text(a[0], t[0])))),
  concat: def(0, 100, false, fixed("text"), (a, t) => a.map((v, i) => (v === null ? "" : text(v, t[i]))).join("")),
  concat_ws: def(1, 100, false, fixed("text"), (a, t) =>
    a[0] === null
      ? null
      : a
          .slice(1)
          .flatMap((v, i) => (v === null ? [] : [text(v, t[i + 1])]))
          .join(text(a[0], t[0])),
  ),
  substring: def(2, 3, true, fixed("text"), (a, t) => {
    const chars = [...text(a[0], t[0])];
    const start = Number(a[1]) - 1;
    const end = a.length > 2 ? start + Number(a[2]) : chars.length;
    return chars.slice(Math.max(0, start), Math.max(0, end)).join("");
  }),
  replace: def(3, 3, true, fixed("text"), (a, t) => text(a[0], t[0]).split(text(a[1], t[1])).join(text(a[2], t[2]))),
  trim: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).trim()),
  btrim: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).trim()),
  ltrim: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).trimStart()),
  rtrim: def(1, 1, true, fixed("text"), (a, t) => text(a[0], t[0]).trimEnd()),
  left: def(2, 2, true, fixed("text"), (a, t) => [...text(a[0], t[0])].slice(0, Number(a[1])).join("")),
  right: def(2, 2, true, fixed("text"), (a, t) => [...text(a[0], t[0])].slice(-Number(a[1])).join("")),
  starts_with: def(2, 2, true, fixed("bool"), (a, t) => text(a[0], t[0]).startsWith(text(a[1], t[1]))),
  strpos: def(2, 2, true, fixed("int8"), (a, t) => BigInt(text(a[0], t[0]).indexOf(text(a[1], t[1])) + 1)),
  abs: def(1, 1, true, firstArgType, (a) => {
    const v = a[0];
    if (v instanceof Decimal) return v.abs();
    if (typeof v === "bigint") return v < 0n ? -v : v;
    return Math.abs(v as number);
  }),
  round: def(1, 2, true, firstArgType, (a) => roundValue(a[0], a.length > 1 ? Number(a[1]) : 0)),
  floor: def(1, 1, true, firstArgType, (a) =>
    a[0] instanceof Decimal ? new Decimal(floorBig(a[0]), 0) : typeof a[0] === "bigint" ? a[0] : Math.floor(a[0] as number),
  ),
  ceil: def(1, 1, true, firstArgType, (a) =>
    a[0] instanceof Decimal ? new Decimal(-floorBig(a[0].neg()), 0) : typeof a[0] === "bigint" ? a[0] : Math.ceil(a[0] as number),
  ),
  mod: def(2, 2, true, firstArgType, (a) => {
    if (typeof a[0] === "bigint" && typeof a[1] === "bigint") {
      if (a[1] === 0n) throw new SqlError("22012", "division by zero");
      return a[0] % a[1];
    }
    return Number(a[0]) % Number(a[1]);
  }),
  power: def(2, 2, true, fixed("float8"), (a) => Number(a[0]) ** Number(a[1])),
  sqrt: def(1, 1, true, fixed("float8"), (a) => Math.sqrt(Number(a[0]))),
  random: def(0, 0, false, fixed("float8"), () => Math.random()),
  version: def(
    0,
    0,
    false,
    fixed("text"),
    (_a, _t, ctx) => `CockroachDB CCL ${ctx.buildTag} (x86_64-pc-linux-gnu, built 2023/09/27 00:00:00, go1.19.10)`,
  ),
  current_user: def(0, 0, false, fixed("text"), (_a, _t, ctx) => ctx.user),
  session_user: def(0, 0, false, fixed("text"), (_a, _t, ctx) => ctx.user),
  current_database: def(0, 0, false, fixed("text"), (_a, _t, ctx) => ctx.database),
  current_schema: def(0, 0, false, fixed("text"), () => "public"),
  unique_rowid: def(0, 0, false, fixed("int8"), (_a, _t, ctx) => ctx.uniqueRowid()),
  gen_random_uuid: def(0, 0, false, fixed("uuid"), () => randomUUID()),
  uuid_generate_v4: def(0, 0, false, fixed("uuid"), () => randomUUID()),
  to_json: def(1, 1, true, fixed("jsonb"), (a) => toJsonValue(a[0])),
  to_jsonb: def(1, 1, true, fixed("jsonb"), (a) => toJsonValue(a[0])),
  json_build_object: def(0, 100, false, fixed("jsonb"), buildObject),
  jsonb_build_object: def(0, 100, false, fixed("jsonb"), buildObject),
  jsonb_typeof: def(1, 1, true, fixed("text"), (a) => jsonTypeOf((a[0] as JsonValue).value)),
  pg_typeof: def(1, 1, false, fixed("text"), (_a, t) => CRDB_TYPE_NAMES[t[0]]),
  "crdb_internal.node_executable_version": def(0, 0, false, fixed("text"), (_a, _t, ctx) => ctx.nodeExecutableVersion),
  "crdb_internal.active_version": def(0, 0, false, fixed("jsonb"), (_a, _t, ctx) => {
    const v = ctx.activeVersion;
    if (v === undefined) throw new SqlError("XX000", "active version is not available");
    return new JsonValue({ internal: v.internal, major: v.major, minor: v.minor, patch: v.patch });
  }),
  ...ARRAY_FUNCTIONS,
};

function floorBig(d: Decimal): bigint {
  const t = d.round(0).coef;
  return d.cmp(Decimal.fromBigInt(t)) < 0 ? t - 1n : t;
}

function toJsonValue(v: SqlValue): JsonValue {
  if (v instanceof JsonValue) return v;
  if (typeof v === "bigint") return new JsonValue(Number(v));
  if (v instanceof Decimal) return new JsonValue(v.toNumber());
  if (v instanceof Date) return new JsonValue(v.toISOString());
  if (v instanceof SqlArray) return new JsonValue(v.elements.map((e) => (e === null ? null : toJsonValue(e).value)));
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return new JsonValue(v);
  return new JsonValue(String(v));
}

function buildObject(a: readonly SqlValue[], t: readonly SqlType[]): JsonValue {
  if (a.length % 2 !== 0) throw new SqlError("22023", "argument list must have even number of elements");
  const out: Record<string, unknown> = {};
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] === null) throw new SqlError("22004", "argument 1 cannot be null");
    out[text(a[i], t[i])] = a[i + 1] === null ? null : toJsonValue(a[i + 1]).value;
  }
  return new JsonValue(out);
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

/** Aggregate function names; their calls are evaluated per group, not per row. */
export const AGGREGATES = new Set([
  "count",
  "sum",
  "min",
  "max",
  "avg",
  "bool_and",
  "bool_or",
  "every",
  "string_agg",
  "array_agg",
  "json_agg",
  "jsonb_agg",
]);
