/**
 * Reading a stack-config object without losing its secret marking.
 *
 * `config.getObject` returns plain data even when the value holds a secret
 * (`pulumi config set --secret --path crdb-upgrade:release.urlTemplate ...`),
 * so the secret would land in the state in plain text. `getSecretObject`
 * keeps it, but makes the whole object one secret, and `pulumi preview --diff`
 * then shows nothing of it but `[secret]`.
 *
 * Pulumi tells a program only which top-level keys hold a secret, not which
 * field. So for a secret key every leaf value becomes its own pulumi.secret,
 * with the structure kept: the diff still names the field that changed
 * (`~ waitAfterRejoin: [secret] => [secret]`) and every key stays visible.
 * A key without secrets is returned as plain data (the resource still makes
 * its credential fields secret: sdk/secret-inputs.ts).
 */
import * as pulumi from "@pulumi/pulumi";

/** The object under `key`, its leaves secret when Pulumi marks the key secret; undefined when unset. */
export function getConfigObject<T>(config: pulumi.Config, key: string): pulumi.Input<T> | undefined {
  const value = config.getObject<T>(key);
  if (value === undefined) return undefined;
  return isSecretConfigKey(`${config.name}:${key}`) ? (secretLeaves(value) as pulumi.Input<T>) : value;
}

/**
 * Whether stack config marks `fullKey` ("project:key") secret. The Node SDK
 * keeps the list in PULUMI_CONFIG_SECRET_KEYS (runtime/config.js
 * isConfigSecret, not part of the typed API); read through the runtime's
 * function when present, else from the environment it is built from.
 */
export function isSecretConfigKey(fullKey: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtime.isConfigSecret === "function") return runtime.isConfigSecret(fullKey);
  const raw = process.env.PULUMI_CONFIG_SECRET_KEYS;
  try {
    const keys: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(keys) && keys.includes(fullKey);
  } catch {
    return false;
  }
}

/** The same structure with every scalar wrapped in pulumi.secret. */
export function secretLeaves(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(secretLeaves);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = secretLeaves(x);
    return out;
  }
  return v === undefined || v === null ? v : pulumi.secret(v);
}
