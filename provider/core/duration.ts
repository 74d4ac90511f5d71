/**
 * Durations as users write them ("90s", "5m", "1h30m", "250ms", or seconds
 * as a number) and as the rest of the code uses them (integer milliseconds).
 *
 * The grammar is Go's time.ParseDuration restricted to ms/s/m/h, because
 * CockroachDB and Pulumi users already write durations that way.
 */
import { SpecError } from "./errors";
import type { DurationInput } from "./types";

/**
 * Node's timers overflow above 2^31-1 ms (about 24.8 days) and then fire
 * immediately; a deadline that large would silently become "no wait at all".
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** One `<number><unit>` term, e.g. "1.5h" or "250ms". `ms` must be tried before `m`. */
const TERM = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;

/** Seconds written as a string, e.g. "90" or "1.5" (what stack config yields). */
const PLAIN_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Milliseconds for a duration input. Throws SpecError naming `field` when the
 * value is negative, not a number, not in the grammar, or too large for a timer.
 */
export function parseDuration(v: DurationInput, field: string): number {
  const ms = durationMsOrReason(v);
  if (typeof ms === "string") throw new SpecError([{ property: field, reason: ms }]);
  return ms;
}

/**
 * The same as parseDuration but returns the reason instead of throwing, so
 * spec validation can collect every failure in one pass.
 */
export function durationMsOrReason(v: unknown): number | string {
  const raw = typeof v === "number" ? secondsToMs(v) : typeof v === "string" ? stringToMs(v) : undefined;
  if (raw === undefined)
    return `must be a duration: seconds as a number, or a string like "90s", "5m", "1h30m", "250ms" (got ${describe(v)})`;
  if (typeof raw === "string") return raw;
  if (raw > MAX_DURATION_MS) return `must be at most ${formatDuration(MAX_DURATION_MS)} (timers cannot wait longer)`;
  return raw;
}

function secondsToMs(n: number): number | string {
  if (!Number.isFinite(n)) return `must be a finite number of seconds (got ${n})`;
  if (n < 0) return `must not be negative (got ${n})`;
  return Math.round(n * 1000);
}

function stringToMs(s: string): number | string {
  const text = s.trim();
  if (text.startsWith("-")) return `must not be negative (got ${JSON.stringify(s)})`;
  if (PLAIN_SECONDS.test(text)) return secondsToMs(Number(text));
  if (text === "") return `must be a duration like "90s", "5m", "1h30m" or "250ms" (got "")`;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const at = TERM.lastIndex;
    const m = TERM.exec(text);
    if (m === null) {
      return `must be a duration like "90s", "5m", "1h30m" or "250ms"; units are ms, s, m, h (got ${JSON.stringify(s.slice(0, 40))}, unreadable from position ${at})`;
    }
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return Math.round(total);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : typeof v;
}

/**
 * Go-style rendering: "250ms", "45s", "1m30s", "2m0s", "1h0m0s", "1.5s".
 * Negative values are rendered with a leading "-" (never produced by parsing).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const whole = Math.round(ms);
  if (whole === 0) return "0s";
  if (whole < 1000) return `${whole}ms`;
  const h = Math.floor(whole / 3_600_000);
  const m = Math.floor((whole % 3_600_000) / 60_000);
  const s = formatSeconds(whole % 60_000);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** Seconds with up to 3 decimals and no trailing zeros: 1500 -> "1.5", 30000 -> "30". */
function formatSeconds(ms: number): string {
  const secs = Math.floor(ms / 1000);
  const frac = ms % 1000;
  if (frac === 0) return String(secs);
  return `${secs}.${String(frac).padStart(3, "0").replace(/0+$/, "")}`;
}
