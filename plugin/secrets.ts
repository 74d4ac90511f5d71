/**
 * Secrets across the plugin's gRPC edge. The Node provider server tells the
 * engine it accepts secrets, so secret values arrive wrapped in the engine's
 * secret envelope, and the engine copies no secret mark onto what we return
 * (it does that only for providers that do not accept secrets). So:
 * - on the way in, every envelope is opened (lifecycle.ts reads plain
 *   values, as in the dynamic resource) and the paths it stood at remembered;
 * - on the way out, a value is wrapped again at every remembered path and at
 *   every path the schema marks secret (the credential fields), whatever the
 *   program passed: the state never holds a credential outside an envelope.
 */
import { OBJECT_TYPES, type T } from "./schema-types";
import { INPUTS } from "./schema";

/** The engine's secret signature (sdk/go/common/resource/sig, `Secret`). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** A path into a value; "*" stands for every element of a list. */
export type Path = readonly string[];

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function secretEnvelope(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** The value with every envelope opened, and the paths where envelopes were. */
export function openSecrets(v: unknown, at: Path = []): { plain: unknown; paths: Path[] } {
  if (isSecretEnvelope(v)) {
    const inner = openSecrets(v.value, at);
    return { plain: inner.plain, paths: [at, ...inner.paths] };
  }
  if (Array.isArray(v)) {
    const parts = v.map((x, i) => openSecrets(x, [...at, String(i)]));
    return { plain: parts.map((p) => p.plain), paths: parts.flatMap((p) => p.paths) };
  }
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    const paths: Path[] = [];
    for (const [k, x] of Object.entries(v)) {
      const p = openSecrets(x, [...at, k]);
      out[k] = p.plain;
      paths.push(...p.paths);
    }
    return { plain: out, paths };
  }
  return { plain: v, paths: [] };
}

/** Wraps the value at each path (a "*" step: every list element) that exists; other values are untouched. */
export function sealSecrets<V>(v: V, paths: readonly Path[]): V {
  let out: unknown = v;
  for (const p of paths) out = sealAt(out, p);
  return out as V;
}

function sealAt(v: unknown, path: Path): unknown {
  if (v === undefined || v === null) return v;
  if (path.length === 0) return isSecretEnvelope(v) ? v : secretEnvelope(v);
  if (isSecretEnvelope(v)) return v; // already secret as a whole
  const [step, ...rest] = path;
  if (Array.isArray(v)) {
    if (step === "*") return v.map((x) => sealAt(x, rest));
    const i = Number(step);
    return Number.isInteger(i) && i < v.length ? v.map((x, j) => (j === i ? sealAt(x, rest) : x)) : v;
  }
  if (typeof v === "object" && step in (v as object))
    return { ...(v as object), [step]: sealAt((v as Record<string, unknown>)[step], rest) };
  return v;
}

/** Every path the schema marks secret, from the resource's top-level properties down. */
export function schemaSecretPaths(): Path[] {
  const out: Path[] = [];
  const walk = (t: T, at: Path, seen: readonly string[]): void => {
    if (typeof t === "string") return;
    if ("list" in t) return walk(t.list, [...at, "*"], seen);
    if ("oneOf" in t) return t.oneOf.forEach((x) => walk(x, at, seen));
    if (seen.includes(t.ref)) return;
    for (const [name, [pt, , flags]] of Object.entries(OBJECT_TYPES[t.ref].properties)) {
      if (flags?.secret) out.push([...at, name]);
      walk(pt, [...at, name], [...seen, t.ref]);
    }
  };
  for (const [name, [t, , flags]] of Object.entries(INPUTS)) {
    if (flags?.secret) out.push([name]);
    walk(t, [name], []);
  }
  return out;
}
