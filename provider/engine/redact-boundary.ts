/**
 * Where redact() is applied at the provider's edge (lifecycle.ts): every
 * progress line, every error the engine shows (message, reasons, stack: the
 * dynamic-provider host prints `${e}: ${e.stack}` on stderr), and every output
 * that is not an echoed input (lastRollout, history, finalizeHint,
 * finalizationBlock...). Echoed inputs are left as they are: they must stay
 * exact, and the engine keeps them secret by key (see sdk/secret-inputs.ts).
 *
 * The literal secrets come from the resource's own inputs (secretsIn), so a
 * password or key is masked even where no pattern would recognise it.
 */
import type { LineSink } from "./progress";
import { credentialValuesIn, redact, redactDeep } from "../core/redact";

type Props = Record<string, unknown>;

/** Output keys that echo inputs (kept exact); every other output key is redacted. */
const ECHOED_INPUTS = new Set(["version", "nodes", "sql", "release", "strategy", "hooks", "providerVersion"]);

/** The literal credential values held by raw inputs or stored outputs. */
export function secretsIn(props: Props | undefined): string[] {
  const p = props ?? {};
  const found: string[] = [];
  const add = (...vs: unknown[]): void => {
    for (const v of vs) if (typeof v === "string" && v !== "") found.push(v);
  };
  const sql = obj(p.sql);
  add(sql.password, obj(sql.tls).key);
  for (const n of arr(p.nodes)) {
    const node = obj(n);
    const c = obj(node.connection);
    add(c.password, c.privateKey, c.privateKeyPassword);
    const proc = obj(node.process);
    for (const cmd of [proc.start, proc.stop, proc.status, ...arr(proc.startFlags)]) found.push(...credentialValuesIn(str(cmd)));
  }
  const hooks = obj(p.hooks);
  // The whole command too (its output may echo it), unless it is as short as an ordinary word ("true").
  if (str(hooks.backupCommand) !== undefined && (hooks.backupCommand as string).length >= 12) add(hooks.backupCommand);
  found.push(...credentialValuesIn(str(hooks.backupCommand)), ...credentialValuesIn(str(hooks.backupSql)));
  found.push(...credentialValuesIn(str(obj(p.release).urlTemplate)));
  return [...new Set(found)];
}

/** A sink that redacts each line before passing it on. */
export function redactingSink(sink: LineSink, secrets: readonly string[]): LineSink {
  return (line) => sink(redact(line, secrets));
}

/** Outputs with every non-input key redacted (strings anywhere inside them). */
export function redactOutputs(outs: Props, secrets: readonly string[]): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(outs)) out[k] = ECHOED_INPUTS.has(k) || k.startsWith("__") ? v : redactDeep(v, secrets);
  return out;
}

/**
 * The thrown value, redacted: an Error becomes a new Error (same name) with a
 * redacted message and stack; the engine's partial-failure object keeps its
 * shape with message, reasons and non-input properties redacted.
 */
export function redactThrown(e: unknown, secrets: readonly string[]): unknown {
  if (e instanceof Error) {
    const r = new Error(redact(e.message, secrets));
    r.name = e.name;
    r.stack = redact(e.stack ?? `${e.name}: ${e.message}`, secrets);
    return r;
  }
  if (e !== null && typeof e === "object" && "id" in e) {
    const f = e as { message?: unknown; reasons?: unknown; properties?: unknown };
    return {
      ...f,
      message: redact(String(f.message ?? ""), secrets),
      reasons: arr(f.reasons).map((x) => redact(String(x), secrets)),
      properties: f.properties ? redactOutputs(obj(f.properties), secrets) : f.properties,
    };
  }
  return typeof e === "string" ? redact(e, secrets) : e;
}

/** Runs fn; whatever it throws leaves redacted. */
export async function withRedaction<T>(secrets: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw redactThrown(e, secrets);
  }
}

function obj(v: unknown): Props {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Props) : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
