/**
 * Binary operators, resolved once per expression from the operand types:
 * comparison (NULL-propagating), arithmetic with CockroachDB's result types
 * (INT / INT = DECIMAL, overflow = 22003), `||`, and the JSON `->`/`->>`.
 */
import { SqlError, SqlType } from "../pgwire/types";
import { CRDB_TYPE_NAMES, checkInt8 } from "./casts";
import { Decimal } from "./decimal";
import { Interval, JsonValue, SqlValue, compareValues, valueToText } from "./values";

export interface ResolvedOp {
  readonly type: SqlType;
  readonly fn: (a: SqlValue, b: SqlValue) => SqlValue;
}

const NUMERIC_RANK: Partial<Record<SqlType, number>> = { int8: 0, numeric: 1, float8: 2 };
const FAMILY: Record<SqlType, string> = {
  int8: "num",
  numeric: "num",
  float8: "num",
  timestamp: "time",
  timestamptz: "time",
  text: "text",
  uuid: "text",
  bool: "bool",
  jsonb: "jsonb",
  bytea: "bytea",
  interval: "interval",
  "int8[]": "int8[]",
  "text[]": "text[]",
};

function unsupportedOp(kind: "binary" | "comparison", op: string, l: SqlType, r: SqlType): SqlError {
  return new SqlError("22023", `unsupported ${kind} operator: <${CRDB_TYPE_NAMES[l]}> ${op} <${CRDB_TYPE_NAMES[r]}>`);
}

export function resolveBinary(op: string, l: SqlType, r: SqlType): ResolvedOp {
  if (["=", "!=", "<", "<=", ">", ">=", "is distinct from"].includes(op)) return comparison(op, l, r);
  if (op === "||") return concat(l, r);
  if (op === "->" || op === "->>") return jsonAccess(op, l, r);
  return arithmetic(op, l, r);
}

function comparison(op: string, l: SqlType, r: SqlType): ResolvedOp {
  if (FAMILY[l] !== FAMILY[r]) throw unsupportedOp("comparison", op === "is distinct from" ? "IS DISTINCT FROM" : op, l, r);
  const test: Record<string, (c: number) => boolean> = {
    "=": (c) => c === 0,
    "!=": (c) => c !== 0,
    "<": (c) => c < 0,
    "<=": (c) => c <= 0,
    ">": (c) => c > 0,
    ">=": (c) => c >= 0,
  };
  if (op === "is distinct from") {
    return { type: "bool", fn: (a, b) => (a === null || b === null ? a !== b : compareValues(a, b) !== 0) };
  }
  const t = test[op];
  return { type: "bool", fn: (a, b) => (a === null || b === null ? null : t(compareValues(a, b))) };
}

function concat(l: SqlType, r: SqlType): ResolvedOp {
  if (l === "jsonb" && r === "jsonb") {
    return {
      type: "jsonb",
      fn: (a, b) => (a === null || b === null ? null : jsonConcat((a as JsonValue).value, (b as JsonValue).value)),
    };
  }
  return { type: "text", fn: (a, b) => (a === null || b === null ? null : valueToText(a, l) + valueToText(b, r)) };
}

function jsonConcat(a: unknown, b: unknown): JsonValue {
  if (isPlainObject(a) && isPlainObject(b)) return new JsonValue({ ...a, ...b });
  const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);
  return new JsonValue([...arr(a), ...arr(b)]);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function jsonAccess(op: string, l: SqlType, r: SqlType): ResolvedOp {
  if (l !== "jsonb" || (r !== "text" && r !== "int8")) throw unsupportedOp("binary", op, l, r);
  return {
    type: op === "->" ? "jsonb" : "text",
    fn: (a, b) => {
      if (a === null || b === null) return null;
      const doc = (a as JsonValue).value;
      let v: unknown;
      if (typeof b === "bigint") {
        if (!Array.isArray(doc)) return null;
        const i = Number(b) < 0 ? doc.length + Number(b) : Number(b);
        v = doc[i];
      } else {
        if (!isPlainObject(doc) || !Object.prototype.hasOwnProperty.call(doc, b as string)) return null;
        v = doc[b as string];
      }
      if (v === undefined) return null;
      if (op === "->") return new JsonValue(v);
      if (v === null) return null;
      return typeof v === "string" ? v : new JsonValue(v).toString();
    },
  };
}

function arithmetic(op: string, l: SqlType, r: SqlType): ResolvedOp {
  const lr = NUMERIC_RANK[l];
  const rr = NUMERIC_RANK[r];
  if (lr !== undefined && rr !== undefined) return numericOp(op, Math.max(lr, rr), l, r);
  const temporal = temporalOp(op, l, r);
  if (temporal !== undefined) return temporal;
  throw unsupportedOp("binary", op, l, r);
}

function strict(fn: (a: SqlValue, b: SqlValue) => SqlValue): (a: SqlValue, b: SqlValue) => SqlValue {
  return (a, b) => (a === null || b === null ? null : fn(a, b));
}

const divByZero = (): SqlError => new SqlError("22012", "division by zero");

function numericOp(op: string, rank: number, l: SqlType, r: SqlType): ResolvedOp {
  if (rank === 2) {
    const f = (v: SqlValue): number => (v instanceof Decimal ? v.toNumber() : Number(v));
    const ops: Record<string, (a: number, b: number) => number> = {
      "+": (a, b) => a + b,
      "-": (a, b) => a - b,
      "*": (a, b) => a * b,
      "/": (a, b) => {
        if (b === 0) throw divByZero();
        return a / b;
      },
      "//": (a, b) => {
        if (b === 0) throw divByZero();
        return Math.floor(a / b);
      },
      "%": (a, b) => {
        if (b === 0) throw divByZero();
        return a % b;
      },
    };
    const fn = ops[op];
    if (fn === undefined) throw unsupportedOp("binary", op, l, r);
    return { type: "float8", fn: strict((a, b) => fn(f(a), f(b))) };
  }
  if (rank === 0 && op !== "/") {
    const ops: Record<string, (a: bigint, b: bigint) => bigint> = {
      "+": (a, b) => a + b,
      "-": (a, b) => a - b,
      "*": (a, b) => a * b,
      "//": (a, b) => {
        if (b === 0n) throw divByZero();
        const q = a / b;
        return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
      },
      "%": (a, b) => {
        if (b === 0n) throw divByZero();
        return a % b;
      },
    };
    const fn = ops[op];
    if (fn === undefined) throw unsupportedOp("binary", op, l, r);
    return { type: "int8", fn: strict((a, b) => checkInt8(fn(a as bigint, b as bigint))) };
  }
  const d = (v: SqlValue): Decimal => (v instanceof Decimal ? v : Decimal.fromBigInt(v as bigint));
  const ops: Record<string, (a: Decimal, b: Decimal) => Decimal> = {
    "+": (a, b) => a.add(b),
    "-": (a, b) => a.sub(b),
    "*": (a, b) => a.mul(b),
    "/": (a, b) => {
      if (b.coef === 0n) throw divByZero();
      return a.div(b);
    },
    "//": (a, b) => {
      if (b.coef === 0n) throw divByZero();
      const q = a.div(b);
      return new Decimal(floorDiv(q), 0);
    },
    "%": (a, b) => {
      if (b.coef === 0n) throw divByZero();
      return a.mod(b);
    },
  };
  const fn = ops[op];
  if (fn === undefined) throw unsupportedOp("binary", op, l, r);
  return { type: "numeric", fn: strict((a, b) => fn(d(a), d(b))) };
}

function floorDiv(q: Decimal): bigint {
  const t = q.round(0).coef;
  return q.cmp(Decimal.fromBigInt(t)) < 0 ? t - 1n : t;
}

function temporalOp(op: string, l: SqlType, r: SqlType): ResolvedOp | undefined {
  const isTime = (t: SqlType): boolean => t === "timestamp" || t === "timestamptz";
  if (isTime(l) && r === "interval" && (op === "+" || op === "-")) {
    const sign = op === "+" ? 1 : -1;
    return { type: l, fn: strict((a, b) => new Date((a as Date).getTime() + (sign * (b as Interval).micros) / 1000)) };
  }
  if (l === "interval" && isTime(r) && op === "+") {
    return { type: r, fn: strict((a, b) => new Date((b as Date).getTime() + (a as Interval).micros / 1000)) };
  }
  if (isTime(l) && isTime(r) && op === "-") {
    return { type: "interval", fn: strict((a, b) => new Interval(((a as Date).getTime() - (b as Date).getTime()) * 1000)) };
  }
  if (l === "interval" && r === "interval" && (op === "+" || op === "-")) {
    const sign = op === "+" ? 1 : -1;
    return { type: "interval", fn: strict((a, b) => new Interval((a as Interval).micros + sign * (b as Interval).micros)) };
  }
  return undefined;
}
