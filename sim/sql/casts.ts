/** Explicit and implicit casts between the engine's types (`x::INT`, CAST(x AS DECIMAL), assignment). */
import { SqlError, SqlType } from "../pgwire/types";
import { Decimal } from "./decimal";
import { Interval, JsonValue, SqlValue, valueToText } from "./values";
import { SqlArray, elementTypeOf, parseArrayText } from "./arrays";

/** CockroachDB's names for types in error messages. */
export const CRDB_TYPE_NAMES: Readonly<Record<SqlType, string>> = {
  int8: "int",
  text: "string",
  bool: "bool",
  numeric: "decimal",
  timestamp: "timestamp",
  timestamptz: "timestamptz",
  jsonb: "jsonb",
  float8: "float",
  bytea: "bytes",
  interval: "interval",
  uuid: "uuid",
  "int8[]": "int[]",
  "text[]": "string[]",
};

const TRUE_WORDS = new Set(["t", "true", "y", "yes", "on", "1"]);
const FALSE_WORDS = new Set(["f", "false", "n", "no", "off", "0"]);

function parseError(text: string, to: SqlType): SqlError {
  return new SqlError("22P02", `could not parse "${text}" as type ${CRDB_TYPE_NAMES[to]}`);
}

function invalidCast(from: SqlType, to: SqlType): SqlError {
  return new SqlError("42846", `invalid cast: ${CRDB_TYPE_NAMES[from]} -> ${CRDB_TYPE_NAMES[to]}`);
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

export function checkInt8(v: bigint): bigint {
  if (v < INT8_MIN || v > INT8_MAX) throw new SqlError("22003", "integer out of range");
  return v;
}

export function castValue(v: SqlValue, from: SqlType, to: SqlType): SqlValue {
  if (v === null) return null;
  if (from === to) return v;
  switch (to) {
    case "text":
      return valueToText(v, from);
    case "int8":
      return toInt8(v, from);
    case "numeric":
      return toDecimal(v, from);
    case "float8":
      return toFloat(v, from);
    case "bool":
      return toBool(v, from);
    case "timestamp":
    case "timestamptz":
      return toTimestamp(v, from, to);
    case "jsonb":
      return toJson(v, from);
    case "interval":
      return toInterval(v, from);
    case "bytea":
      if (typeof v === "string") return v.startsWith("\\x") ? Buffer.from(v.slice(2), "hex") : Buffer.from(v, "utf8");
      throw invalidCast(from, to);
    case "uuid":
      if (typeof v === "string" && /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v.trim())) {
        const hex = v.trim().replace(/[{}-]/g, "").toLowerCase();
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      }
      if (typeof v === "string") throw parseError(v, to);
      throw invalidCast(from, to);
    case "int8[]":
    case "text[]":
      return toArray(v, from, to);
  }
}

/** `'{1,2}'::INT[]`, and element-wise between array types (`replicas::STRING[]`). */
function toArray(v: SqlValue, from: SqlType, to: "int8[]" | "text[]"): SqlArray {
  const element = elementTypeOf(to);
  if (typeof v === "string") return parseArrayText(v, element);
  if (v instanceof SqlArray)
    return new SqlArray(
      v.elements.map((e) => castValue(e, v.elementType, element)),
      element,
    );
  throw invalidCast(from, to);
}

function toInt8(v: SqlValue, from: SqlType): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (v instanceof Decimal) return checkInt8(v.toBigInt());
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new SqlError("22003", "integer out of range");
    return checkInt8(BigInt(Math.round(v)));
  }
  if (typeof v === "string") {
    const t = v.trim();
    if (!/^[+-]?\d+$/.test(t)) throw parseError(v, "int8");
    return checkInt8(BigInt(t));
  }
  if (v instanceof Date) return BigInt(Math.floor(v.getTime() / 1000));
  if (v instanceof Interval) return BigInt(Math.trunc(v.micros / 1e6));
  throw invalidCast(from, "int8");
}

function toDecimal(v: SqlValue, from: SqlType): Decimal {
  if (v instanceof Decimal) return v;
  if (typeof v === "bigint") return Decimal.fromBigInt(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw parseError(String(v), "numeric");
    return Decimal.fromNumber(v);
  }
  if (typeof v === "string") {
    const d = Decimal.parse(v);
    if (d === undefined) throw parseError(v, "numeric");
    return d;
  }
  // CockroachDB: timestamp::DECIMAL is epoch seconds with a fraction (used as now()::decimal).
  if (v instanceof Date) return new Decimal(BigInt(v.getTime()) * 1000n, 6).trimmed();
  if (v instanceof Interval) return new Decimal(BigInt(Math.round(v.micros)), 6).trimmed();
  if (typeof v === "boolean") return Decimal.fromBigInt(v ? 1n : 0n);
  throw invalidCast(from, "numeric");
}

function toFloat(v: SqlValue, from: SqlType): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Decimal) return v.toNumber();
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (t === "nan") return NaN;
    if (t === "inf" || t === "infinity" || t === "+infinity") return Infinity;
    if (t === "-inf" || t === "-infinity") return -Infinity;
    if (Decimal.parse(t) === undefined) throw parseError(v, "float8");
    return Number(t);
  }
  if (v instanceof Date) return v.getTime() / 1000;
  if (v instanceof Interval) return v.micros / 1e6;
  throw invalidCast(from, "float8");
}

function toBool(v: SqlValue, from: SqlType): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0;
  if (v instanceof Decimal) return v.coef !== 0n;
  if (typeof v === "string") {
    const t = v.trim().toLowerCase();
    if (TRUE_WORDS.has(t)) return true;
    if (FALSE_WORDS.has(t)) return false;
    throw parseError(v, "bool");
  }
  throw invalidCast(from, "bool");
}

/** Timestamps without an explicit zone are read as UTC, the simulator's only zone. */
function toTimestamp(v: SqlValue, from: SqlType, to: SqlType): Date {
  if (v instanceof Date) return v;
  if (typeof v === "bigint") return new Date(Number(v) * 1000);
  if (typeof v === "number") return new Date(v * 1000);
  if (v instanceof Decimal) return new Date(v.toNumber() * 1000);
  if (typeof v === "string") {
    let t = v.trim();
    if (t.toLowerCase() === "now") return new Date();
    t = t.replace(" ", "T");
    if (/^\d{4}-\d{2}-\d{2}$/.test(t)) t += "T00:00:00";
    if (!/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(t)) t += "Z";
    else t = t.replace(/([+-]\d{2})$/, "$1:00");
    const d = new Date(t);
    if (Number.isNaN(d.getTime())) throw parseError(v, to);
    return d;
  }
  throw invalidCast(from, to);
}

function toJson(v: SqlValue, from: SqlType): JsonValue {
  if (v instanceof JsonValue) return v;
  if (typeof v === "string") {
    try {
      return new JsonValue(JSON.parse(v));
    } catch (e) {
      throw new SqlError("22P02", `could not parse JSON: ${(e as Error).message}`);
    }
  }
  if (typeof v === "bigint") return new JsonValue(Number(v));
  if (v instanceof Decimal) return new JsonValue(v.toNumber());
  if (typeof v === "number" || typeof v === "boolean") return new JsonValue(v);
  if (v instanceof Date) return new JsonValue(v.toISOString());
  if (v instanceof SqlArray) return new JsonValue(v.elements.map((e) => (typeof e === "bigint" ? Number(e) : e)));
  throw invalidCast(from, "jsonb");
}

function toInterval(v: SqlValue, from: SqlType): Interval {
  if (v instanceof Interval) return v;
  if (typeof v === "string") {
    const i = Interval.parse(v);
    if (i === undefined) throw parseError(v, "interval");
    return i;
  }
  if (typeof v === "bigint") return new Interval(Number(v) * 1e6);
  if (typeof v === "number") return new Interval(v * 1e6);
  if (v instanceof Decimal) return new Interval(v.toNumber() * 1e6);
  throw invalidCast(from, "interval");
}
