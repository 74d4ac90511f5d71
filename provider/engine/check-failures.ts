/**
 * Check failures as the engine prints them. The engine looks a failure's
 * `property` up in the TOP-LEVEL inputs to show its value
 * (pkg/resource/deploy/step_generator.go issueCheckFailures:
 * `inputs[failure.Property]`, printed with "property %v value %v has a
 * problem: %v"), so a dotted path like "strategy.waitAfterRejoin", or a key
 * that is absent, prints as `value {<nil>}`; an object prints as a Go map.
 *
 * So `property` is sent only for a top-level key whose value is present and
 * plain (a string, number or boolean: the engine then shows it as the user
 * wrote it). Every other failure is sent without a property, with the path
 * leading the reason; the engine then prints
 * "resource 'x' has a problem: strategy.waitAfterRejoin: must be ... (got "3x")",
 * and the reason already shows the (non-secret) value.
 */
import type { CheckFailure } from "../core/types";

/** The failures as they should reach the engine's check response. */
export function failuresForEngine(failures: readonly CheckFailure[], news: Readonly<Record<string, unknown>>): CheckFailure[] {
  return failures.map((f) => {
    if (engineCanShow(f.property, news)) return f;
    return { property: "", reason: f.property === "(inputs)" ? `inputs ${f.reason}` : `${f.property}: ${f.reason}` };
  });
}

/** True when the engine's top-level lookup finds a plain value at `property`. */
function engineCanShow(property: string, news: Readonly<Record<string, unknown>>): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(property) || !Object.prototype.hasOwnProperty.call(news, property)) return false;
  const v = news[property];
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

/** The path a failure concerns, in either shape (for callers and tests that look failures up by field). */
export function failurePath(f: CheckFailure): string {
  if (f.property !== "") return f.property;
  const m = /^([^\s:]+): /.exec(f.reason);
  return m === null ? "" : m[1];
}
