/**
 * What the SDK hands the engine: the credential fields wrapped as secrets
 * (field by field, whatever the program passed), and stack-config objects
 * that hold a secret kept secret leaf by leaf. Checked on the serialized
 * properties, i.e. exactly what goes over the wire to the engine (Pulumi's
 * own mocks supply a monitor that accepts secrets; no engine involved).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { getConfigObject } from "../../sdk/config";
import { withSecretCredentials } from "../../sdk/secret-inputs";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Paths (a.b.0.c) of every secret envelope in a serialized value. */
function secretPaths(v: unknown, at = ""): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => secretPaths(x, `${at}${at ? "." : ""}${i}`));
  if (v === null || typeof v !== "object") return [];
  const o = v as Record<string, unknown>;
  if (o[SIG] === SECRET_SIG) return [at];
  return Object.entries(o).flatMap(([k, x]) => secretPaths(x, `${at}${at ? "." : ""}${k}`));
}

async function serialize(props: Record<string, unknown>): Promise<Record<string, unknown>> {
  return pulumi.runtime.serializeProperties("test", props as pulumi.Inputs);
}

describe("sdk: credential inputs are secret by default", () => {
  before(() => {
    pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "project",
      "stack",
      false,
    );
  });

  it("wraps exactly the credential fields, leaving every other field readable", async () => {
    const s = await serialize(
      withSecretCredentials({
        version: "v23.1.12",
        nodes: [
          {
            name: "n1",
            sqlAddr: "h:26257",
            connection: { host: "h", user: "u", password: "pw", privateKey: "K", privateKeyPassword: "kp" },
          },
          { name: "n2", sqlAddr: "h2:26257", connection: "local" },
        ],
        sql: { user: "root", password: "sqlpw", insecure: false, tls: { ca: "CA", key: "TLSKEY" } },
        release: { urlTemplate: "http://mirror:pw@h/cockroach-{version}.tgz", sha256: "ab" },
        strategy: { waitAfterRejoin: "60s" },
        hooks: { backupSql: "BACKUP INTO 'nodelocal://1/b'", backupCommand: "./backup.sh", debugZip: "/tmp/z.zip" },
      }),
    );
    assert.deepStrictEqual(secretPaths(s).sort(), [
      "hooks.backupCommand",
      "hooks.backupSql",
      "nodes.0.connection.password",
      "nodes.0.connection.privateKey",
      "nodes.0.connection.privateKeyPassword",
      "release.urlTemplate",
      "sql.password",
      "sql.tls.key",
    ]);
    assert.strictEqual((s.release as Record<string, unknown>).sha256, "ab");
    assert.deepStrictEqual(s.strategy, { waitAfterRejoin: "60s" });
  });

  it("makes release.urlTemplate secret only when it has userinfo or a query string", async () => {
    const plain = await serialize(withSecretCredentials({ release: { urlTemplate: "https://binaries.example/cockroach-{version}.tgz" } }));
    assert.deepStrictEqual(secretPaths(plain), []);
    const query = await serialize(withSecretCredentials({ release: { urlTemplate: "https://m/c-{version}.tgz?token=t" } }));
    assert.deepStrictEqual(secretPaths(query), ["release.urlTemplate"]);
  });

  it("handles objects and fields given as Outputs (a value known only at run time)", async () => {
    const s = await serialize(
      withSecretCredentials({
        sql: pulumi.output({ user: "root", password: "sqlpw" }),
        release: { urlTemplate: pulumi.output("http://u:p@h/{version}") },
        nodes: pulumi.output([{ name: "n1", connection: { host: "h", privateKey: "K" } }]),
      }),
    );
    assert.deepStrictEqual(secretPaths(s).sort(), ["nodes.0.connection.privateKey", "release.urlTemplate", "sql.password"]);
    assert.strictEqual((s.sql as Record<string, unknown>).user, "root");
  });
});

describe("sdk: getConfigObject keeps the secret marking of stack config", () => {
  before(() => {
    pulumi.runtime.setAllConfig(
      {
        "project:release": JSON.stringify({ urlTemplate: "http://u:p@h/{version}", sha256: "ab" }),
        "project:strategy": JSON.stringify({ waitAfterRejoin: "60s", gateSamples: 3, order: ["n2", "n1"] }),
      },
      ["project:release"],
    );
  });

  it("a secret key: every leaf is secret, the structure stays (the diff names the changed field)", async () => {
    const release = getConfigObject(new pulumi.Config("project"), "release");
    const s = await serialize({ release });
    assert.deepStrictEqual(secretPaths(s).sort(), ["release.sha256", "release.urlTemplate"]);
  });

  it("a plain key: plain data, nothing secret; an unset key: undefined", async () => {
    const strategy = getConfigObject(new pulumi.Config("project"), "strategy");
    assert.deepStrictEqual(strategy, { waitAfterRejoin: "60s", gateSamples: 3, order: ["n2", "n1"] });
    assert.strictEqual(getConfigObject(new pulumi.Config("project"), "hooks"), undefined);
  });
});
