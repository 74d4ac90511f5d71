/**
 * Renders engine values in PostgreSQL's text result format (format code 0),
 * which is what node-postgres and psql ask for.
 */
import { SqlType } from "./types";

/** Text form of one cell, or null for SQL NULL. */
export function toPgText(value: unknown, type: SqlType): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return formatNumber(value, type);
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return "\\x" + value.toString("hex");
  if (value instanceof Date) return formatDate(value, type);
  if (hasOwnToString(value)) return String(value);
  return JSON.stringify(value);
}

function formatNumber(n: number, type: SqlType): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  return type === "int8" ? Math.trunc(n).toString() : String(n);
}

/** "2024-05-01 10:11:12.123+00" for timestamptz, without the offset for timestamp. */
export function formatDate(d: Date, type: SqlType): string {
  const iso = d.toISOString(); // 2024-05-01T10:11:12.123Z
  let text = iso.slice(0, 10) + " " + iso.slice(11, 19);
  const ms = iso.slice(20, 23).replace(/0+$/, "");
  if (ms.length > 0) text += "." + ms;
  return type === "timestamp" ? text : text + "+00";
}

function hasOwnToString(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (
    proto !== Object.prototype &&
    proto !== null &&
    !Array.isArray(value) &&
    typeof proto.toString === "function" &&
    proto.toString !== Object.prototype.toString
  );
}
