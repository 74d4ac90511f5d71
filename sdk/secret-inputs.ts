/**
 * The credential-bearing inputs are secret whatever the program passes: they
 * are wrapped in pulumi.secret field by field before they reach the engine.
 * The engine stores a secret input encrypted, and copies the secret mark onto
 * the output under the same key (the provider echoes its inputs under their
 * own keys), so both the inputs and the outputs in the state hold them only
 * inside a secret envelope.
 *
 * Per field, not per object: `pulumi preview --diff` then still shows every
 * other field of the object (a release's sha256, a node's address, the whole
 * strategy) and which credential field changed, as `[secret]`.
 *
 * Fields: sql.password, sql.tls.key; each node's connection.password,
 * connection.privateKey, connection.privateKeyPassword; hooks.backupSql,
 * hooks.backupCommand; release.urlTemplate when it has userinfo or a query
 * string. An object given as an Output is transformed once its value is
 * known; the serializer keeps the secret mark of each field inside it.
 */
import * as pulumi from "@pulumi/pulumi";
import { urlMayHoldCredentials } from "../provider/core/redact";

type Obj = Record<string, unknown>;
/** Whether a present field's value must be secret. */
type Rule = (value: unknown) => boolean;

const ALWAYS: Rule = () => true;
const URL_WITH_CREDENTIALS: Rule = (v) => typeof v === "string" && urlMayHoldCredentials(v);

const SQL_RULES: Readonly<Record<string, Rule>> = { password: ALWAYS };
const TLS_RULES: Readonly<Record<string, Rule>> = { key: ALWAYS };
const CONNECTION_RULES: Readonly<Record<string, Rule>> = { password: ALWAYS, privateKey: ALWAYS, privateKeyPassword: ALWAYS };
const HOOKS_RULES: Readonly<Record<string, Rule>> = { backupSql: ALWAYS, backupCommand: ALWAYS };
const RELEASE_RULES: Readonly<Record<string, Rule>> = { urlTemplate: URL_WITH_CREDENTIALS };

/** The resource's args with every credential field made secret. */
export function withSecretCredentials<T extends Obj>(args: T): T {
  const out: Obj = { ...args };
  if (args.sql !== undefined) out.sql = mapInput(args.sql, secretSql);
  if (args.release !== undefined) out.release = mapInput<Obj>(args.release, (r) => secretFields(r, RELEASE_RULES));
  if (args.hooks !== undefined) out.hooks = mapInput<Obj>(args.hooks, (h) => secretFields(h, HOOKS_RULES));
  if (args.nodes !== undefined) out.nodes = mapInput(args.nodes, (ns) => (Array.isArray(ns) ? ns.map((n) => mapInput(n, secretNode)) : ns));
  return out as T;
}

function secretSql(sql: Obj): Obj {
  const out = secretFields(sql, SQL_RULES);
  return sql.tls !== undefined ? { ...out, tls: mapInput<Obj>(sql.tls, (t) => secretFields(t, TLS_RULES)) } : out;
}

function secretNode(node: Obj): Obj {
  if (node.connection === undefined) return node;
  return { ...node, connection: mapInput(node.connection, (c) => (typeof c === "object" ? secretFields(c as Obj, CONNECTION_RULES) : c)) };
}

/** Each field that its rule flags becomes pulumi.secret (an Output field is judged once known). */
function secretFields(o: Obj, rules: Readonly<Record<string, Rule>>): Obj {
  const out: Obj = { ...o };
  for (const [field, rule] of Object.entries(rules)) {
    const v = o[field];
    if (v === undefined) continue;
    out[field] = pulumi.Output.isInstance(v)
      ? v.apply((known: unknown) => (rule(known) ? pulumi.secret(known) : known))
      : rule(v)
        ? pulumi.secret(v)
        : v;
  }
  return out;
}

/**
 * Applies `f` to a plain value; for an Output, once its value is known. The
 * result holds secret Outputs as fields: apply does not lift them, and the
 * serializer turns each into a secret field of its own.
 */
function mapInput<I>(v: unknown, f: (x: I) => unknown): unknown {
  if (pulumi.Output.isInstance(v)) return v.apply((known) => (known === undefined || known === null ? known : f(known as I)));
  if (v === undefined || v === null || typeof v !== "object") return v;
  return f(v as I);
}
