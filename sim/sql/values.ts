/**
 * Runtime values of the SQL engine, by type:
 *   int8 -> bigint, float8 -> number, numeric -> Decimal, text/uuid -> string,
 *   bool -> boolean, timestamp/timestamptz -> Date, jsonb -> JsonValue,
 *   interval -> Interval, bytea -> Buffer, int8[]/text[] -> SqlArray; NULL -> null for every type.
 * `normalizeValue` converts the looser values hosts supply (numbers for INT,
 * strings or objects for JSONB, ...) into these.
 */
import { SqlType } from "../pgwire/types";
import { Decimal } from "./decimal";
import { formatDate } from "../pgwire/text-format";
import { SqlArray, arrayFromJs, elementTypeOf, parseArrayText } from "./arrays";

export type SqlValue = null | boolean | bigint | number | string | Decimal | Date | JsonValue | Interval | Buffer | SqlArray;

/** A JSONB document; toString renders CockroachDB's form: keys sorted, `{"a": 1, "b": [1, 2]}`. */
export class JsonValue {
  constructor(readonly value: unknown) {}

  toString(): string {
    return formatJson(this.value);
  }
}

function formatJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "[" + v.map(formatJson).join(", ") + "]";
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return "{" + entries.map(([k, x]) => JSON.stringify(k) + ": " + formatJson(x)).join(", ") + "}";
  }
  return JSON.stringify(v);
}

/** A duration in microseconds; prints as CockroachDB does: "00:00:10", "1 day 02:00:00.5". */
export class Interval {
  constructor(readonly micros: number) {}

  toString(): string {
    const negative = this.micros < 0;
    let rest = Math.abs(this.micros);
    const day = 86_400_000_000;
    const days = Math.floor(rest / day);
    rest -= days * day;
    const h = Math.floor(rest / 3_600_000_000);
    rest -= h * 3_600_000_000;
    const m = Math.floor(rest / 60_000_000);
    rest -= m * 60_000_000;
    const s = Math.floor(rest / 1_000_000);
    const frac = Math.round(rest - s * 1_000_000);
    const pad = (n: number): string => String(n).padStart(2, "0");
    let clock = `${pad(h)}:${pad(m)}:${pad(s)}`;
    if (frac > 0) clock += "." + String(frac).padStart(6, "0").replace(/0+$/, "");
    const sign = negative ? "-" : "";
    if (days === 0) return sign + clock;
    return `${sign}${days} day${days === 1 ? "" : "s"} ${sign}${clock}`;
  }

  /** Parses Go-style ("10s", "1h30m", "500ms"), clock ("01:02:03") and PG-style ("1 day 2 hours") intervals. */
  static parse(text: string): Interval | undefined {
    const t = text.trim().toLowerCase();
    const clock = /^(-)?(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(t);
    if (clock) {
      const micros = (Number(clock[2]) * 3600 + Number(clock[3]) * 60 + Number(clock[4] ?? 0)) * 1e6;
      return new Interval(clock[1] ? -micros : micros);
    }
    const units: Record<string, number> = {
      ns: 1e-3,
      us: 1,
      µs: 1,
      ms: 1e3,
      s: 1e6,
      m: 6e7,
      h: 3.6e9,
      d: 8.64e10,
      microsecond: 1,
      millisecond: 1e3,
      second: 1e6,
      sec: 1e6,
      minute: 6e7,
      min: 6e7,
      hour: 3.6e9,
      day: 8.64e10,
      week: 6.048e11,
    };
    if (/^-?\d+(\.\d+)?$/.test(t)) return new Interval(Number(t) * 1e6); // bare number = seconds
    let total = 0;
    let found = false;
    const leftover = t.replace(/(-?\d+(?:\.\d+)?)\s*([a-zµ]+)/g, (_all, num: string, unit: string) => {
      const factor = units[unit] ?? units[unit.replace(/s$/, "")];
      if (factor === undefined) return "?";
      total += Number(num) * factor;
      found = true;
      return "";
    });
    if (!found || leftover.trim() !== "") return undefined;
    return new Interval(Math.round(total));
  }
}

/** Coerces a host-supplied value into the engine's representation for `type`. */
export function normalizeValue(v: unknown, type: SqlType): SqlValue {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "int8":
      if (typeof v === "bigint") return v;
      if (typeof v === "number") return BigInt(Math.trunc(v));
      if (v instanceof Decimal) return v.toBigInt();
      return BigInt(String(v));
    case "float8":
      return typeof v === "number" ? v : Number(String(v));
    case "numeric":
      if (v instanceof Decimal) return v;
      if (typeof v === "bigint") return Decimal.fromBigInt(v);
      return Decimal.parse(String(v)) ?? null;
    case "bool":
      return typeof v === "boolean" ? v : ["t", "true", "1", "on", "yes"].includes(String(v).toLowerCase());
    case "timestamp":
    case "timestamptz":
      if (v instanceof Date) return v;
      return new Date(typeof v === "number" ? v : String(v));
    case "jsonb":
      if (v instanceof JsonValue) return v;
      if (typeof v === "string") return new JsonValue(tryParseJson(v));
      return new JsonValue(v);
    case "interval":
      if (v instanceof Interval) return v;
      return Interval.parse(String(v)) ?? null;
    case "bytea":
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
    case "int8[]":
    case "text[]":
      if (v instanceof SqlArray) return v;
      if (Array.isArray(v)) return arrayFromJs(v, elementTypeOf(type));
      return parseArrayText(String(v), elementTypeOf(type));
    default:
      return typeof v === "string" ? v : valueToText(v as SqlValue);
  }
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The text form of a value, as `::STRING` and string concatenation see it. */
export function valueToText(v: SqlValue, type?: SqlType): string {
  if (v === null) return "NULL";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Date) return formatDate(v, type === "timestamp" ? "timestamp" : "timestamptz");
  if (Buffer.isBuffer(v)) return "\\x" + v.toString("hex");
  return String(v);
}

/** Total order within one type; NULL sorts first (CockroachDB's default for ASC). */
export function compareValues(a: SqlValue, b: SqlValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a instanceof Decimal && b instanceof Decimal) return a.cmp(b);
  if (a instanceof Decimal || b instanceof Decimal) return toDecimal(a).cmp(toDecimal(b));
  if (typeof a === "bigint" && typeof b === "number") return cmpPrim(Number(a), b);
  if (typeof a === "number" && typeof b === "bigint") return cmpPrim(a, Number(b));
  if (a instanceof Date && b instanceof Date) return cmpPrim(a.getTime(), b.getTime());
  if (a instanceof Interval && b instanceof Interval) return cmpPrim(a.micros, b.micros);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (a instanceof JsonValue && b instanceof JsonValue) return cmpPrim(String(a), String(b));
  if (a instanceof SqlArray && b instanceof SqlArray) return compareArrays(a, b);
  if (typeof a === typeof b) return cmpPrim(a as string | number | bigint | boolean, b as string | number | bigint | boolean);
  return cmpPrim(String(a), String(b));
}

/** Element by element (NULL elements last, as PostgreSQL orders them), then the shorter array first. */
function compareArrays(a: SqlArray, b: SqlArray): number {
  for (let i = 0; i < Math.min(a.elements.length, b.elements.length); i++) {
    const x = a.elements[i];
    const y = b.elements[i];
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
      continue;
    }
    const c = compareValues(x, y);
    if (c !== 0) return c;
  }
  return a.elements.length - b.elements.length;
}

function cmpPrim<T extends string | number | bigint | boolean>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toDecimal(v: SqlValue): Decimal {
  if (v instanceof Decimal) return v;
  if (typeof v === "bigint") return Decimal.fromBigInt(v);
  if (typeof v === "number") return Decimal.fromNumber(v);
  return Decimal.parse(String(v)) ?? new Decimal(0n, 0);
}

/** Key for grouping, DISTINCT and primary keys: equal values give equal keys. */
export function valueKey(v: SqlValue): string {
  if (v === null) return "N";
  if (v instanceof Decimal) return "n" + v.trimmed().toString();
  if (typeof v === "bigint") return "n" + v.toString();
  if (typeof v === "number") return Number.isInteger(v) ? "n" + v.toString() : "f" + v.toString();
  if (v instanceof Date) return "d" + v.getTime();
  if (v instanceof SqlArray) return "a[" + v.elements.map(valueKey).join(",") + "]";
  return typeof v + ":" + String(v);
}
