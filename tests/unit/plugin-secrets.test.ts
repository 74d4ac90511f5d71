/** The plugin's secret edge (plugin/secrets.ts): envelopes opened and sealed; the schema's secret fields are the SDK's. */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { openSecrets, schemaSecretPaths, sealSecrets, secretEnvelope, isSecretEnvelope } from "../../plugin/secrets";
import { withSecretCredentials } from "../../sdk/secret-inputs";

const FULL = {
  version: "v23.1.12",
  nodes: [
    { name: "n1", connection: { host: "h1", password: "p1", privateKey: "k1", privateKeyPassword: "kp1", user: "u" }, sqlAddr: "h1:26257" },
    { name: "n2", connection: "local", sqlAddr: "h2:26257" },
  ],
  sql: { user: "root", password: "sqlpw", tls: { ca: "CA", cert: "CERT", key: "KEY" } },
  release: { urlTemplate: "https://user:token@mirror/{version}.tgz", sha256: "ab" },
  hooks: { backupSql: "BACKUP INTO 's3://b?AWS_SECRET_ACCESS_KEY=x'", backupCommand: "backup --token t0ken", debugZip: "/tmp/z" },
  strategy: { canary: true },
};

/** Dotted paths (lists as *) of every secret Output inside a value the SDK built. */
async function secretOutputPaths(v: unknown, at: string[] = []): Promise<string[]> {
  if (pulumi.Output.isInstance(v)) {
    const secret = await (v as unknown as { isSecret: Promise<boolean> }).isSecret;
    const inner = await new Promise<unknown>((resolve) => v.apply((x) => resolve(x)));
    return [...(secret ? [at.join(".")] : []), ...(await secretOutputPaths(inner, at))];
  }
  if (Array.isArray(v)) return (await Promise.all(v.map((x) => secretOutputPaths(x, [...at, "*"])))).flat();
  if (typeof v === "object" && v !== null)
    return (await Promise.all(Object.entries(v).map(([k, x]) => secretOutputPaths(x, [...at, k])))).flat();
  return [];
}

describe("plugin/secrets", () => {
  it("opens every envelope, remembering where it was, and seals the same paths again", () => {
    const wire = {
      sql: { password: secretEnvelope("pw"), user: "root" },
      nodes: [{ connection: secretEnvelope({ host: "h", privateKey: "k" }) }],
    };
    const { plain, paths } = openSecrets(wire);
    assert.deepStrictEqual(plain, { sql: { password: "pw", user: "root" }, nodes: [{ connection: { host: "h", privateKey: "k" } }] });
    assert.deepStrictEqual(paths, [
      ["sql", "password"],
      ["nodes", "0", "connection"],
    ]);
    assert.deepStrictEqual(sealSecrets(plain, paths), wire);
  });

  it("seals the schema's credential paths in every list element, and leaves absent fields absent", () => {
    const sealed = sealSecrets(FULL, schemaSecretPaths()) as typeof FULL;
    assert.ok(isSecretEnvelope(sealed.sql.password));
    assert.ok(isSecretEnvelope(sealed.sql.tls.key));
    assert.strictEqual(sealed.sql.tls.cert, "CERT");
    assert.ok(isSecretEnvelope((sealed.nodes[0].connection as Record<string, unknown>).privateKey));
    assert.strictEqual((sealed.nodes[0].connection as Record<string, unknown>).host, "h1");
    assert.strictEqual(sealed.nodes[1].connection, "local");
    assert.deepStrictEqual(sealSecrets({ version: "v1" }, schemaSecretPaths()), { version: "v1" });
  });

  it("marks secret exactly the fields the TypeScript SDK makes secret (sdk/secret-inputs.ts)", async () => {
    const sdk = (await secretOutputPaths(withSecretCredentials(FULL))).sort();
    const plugin = schemaSecretPaths()
      .map((p) => p.join("."))
      .sort();
    assert.deepStrictEqual(plugin, sdk);
  });
});
