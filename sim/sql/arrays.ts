/**
 * One-dimensional arrays of INT8 and STRING, the array types CockroachDB's
 * crdb_internal range tables use (`replicas INT[]`, `replica_localities
 * STRING[]`). Values print in PostgreSQL's text form — `{1,2,3}`,
 * `{"region=a,zone=1",NULL}` — which is what node-postgres and psql parse
 * for type OIDs 1016 (int8[]) and 1009 (text[]).
 */
import { SqlError, SqlType } from "../pgwire/types";
import type { SqlValue } from "./values";

export type ArrayType = "int8[]" | "text[]";

const ELEMENT: Readonly<Record<ArrayType, SqlType>> = { "int8[]": "int8", "text[]": "text" };

export function isArrayType(t: SqlType): t is ArrayType {
  return t === "int8[]" || t === "text[]";
}

export function elementTypeOf(t: ArrayType): SqlType {
  return ELEMENT[t];
}

/** The array type holding `element`s; only INT8 and STRING arrays are simulated. */
export function arrayTypeOf(element: SqlType): ArrayType {
  if (element === "int8") return "int8[]";
  if (element === "text" || element === "uuid") return "text[]";
  throw new SqlError("0A000", `unimplemented: arrays of ${element} are not supported by the simulator`);
}

export class SqlArray {
  constructor(
    readonly elements: readonly SqlValue[],
    readonly elementType: SqlType,
  ) {}

  get type(): ArrayType {
    return arrayTypeOf(this.elementType);
  }

  /** PostgreSQL's array output: NULL bare, strings quoted when they hold delimiters, quotes or spaces. */
  toString(): string {
    return "{" + this.elements.map(formatElement).join(",") + "}";
  }
}

function formatElement(v: SqlValue): string {
  if (v === null) return "NULL";
  const text = typeof v === "bigint" ? v.toString() : String(v);
  const needsQuotes = text === "" || /^null$/i.test(text) || /[{}",\\\s]/.test(text);
  return needsQuotes ? '"' + text.replace(/["\\]/g, "\\$&") + '"' : text;
}

function malformed(text: string, element: SqlType): SqlError {
  return new SqlError(
    "22P02",
    `could not parse "${text}" as type ${element === "int8" ? "int" : "string"}[]: array must be enclosed in { and }`,
  );
}

/** Parses `{1,2,NULL}` / `{"a b",c}` into an array of `element`s. */
export function parseArrayText(text: string, element: SqlType): SqlArray {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}")) throw malformed(text, element);
  const body = t.slice(1, -1);
  const raw: (string | null)[] = [];
  let i = 0;
  while (i < body.length) {
    while (body[i] === " ") i++;
    if (body[i] === '"') {
      let out = "";
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === "\\" && i + 1 < body.length) i++;
        out += body[i++];
      }
      if (body[i] !== '"') throw new SqlError("22P02", `could not parse "${text}": unterminated quoted array element`);
      i++;
      raw.push(out);
    } else {
      const end = body.indexOf(",", i);
      const word = (end < 0 ? body.slice(i) : body.slice(i, end)).trim();
      if (word === "" && body.trim() !== "") throw new SqlError("22P02", `could not parse "${text}": empty array element`);
      if (word !== "") raw.push(/^null$/i.test(word) ? null : word);
      i = end < 0 ? body.length : end;
    }
    while (body[i] === " ") i++;
    if (i < body.length) {
      if (body[i] !== ",") throw new SqlError("22P02", `could not parse "${text}": expected comma between array elements`);
      i++;
    }
  }
  return new SqlArray(
    raw.map((r) => elementFromText(r, element, text)),
    element,
  );
}

function elementFromText(raw: string | null, element: SqlType, whole: string): SqlValue {
  if (raw === null) return null;
  if (element !== "int8") return raw;
  if (!/^[+-]?\d+$/.test(raw.trim()))
    throw new SqlError("22P02", `could not parse "${whole}" as type int[]: could not parse "${raw}" as type int`);
  return BigInt(raw.trim());
}

/** Builds an array value from plain JS elements (numbers/strings from the fabric, bigints from the engine). */
export function arrayFromJs(values: readonly unknown[], element: SqlType): SqlArray {
  return new SqlArray(
    values.map((v) => {
      if (v === null || v === undefined) return null;
      if (element === "int8") return typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v)));
      return String(v);
    }),
    element,
  );
}
