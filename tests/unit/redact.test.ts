/**
 * The one masking function (provider/core/redact.ts) over the shapes credentials
 * take in this provider's inputs and messages: URL userinfo, cloud-storage
 * URIs with CockroachDB's credential parameters, KMS URIs, SQL literals,
 * commands, headers, PEM keys; and text without credentials stays unchanged.
 */
import * as assert from "assert";
import {
  CREDENTIAL_PARAMS,
  credentialValuesIn,
  isCredentialName,
  redact,
  redactDeep,
  urlMayHoldCredentials,
} from "../../provider/core/redact";
import { redactOutputs, redactThrown, secretsIn } from "../../provider/engine/redact-boundary";
import { check as checkInputs } from "../../provider/lifecycle";

/** [input, expected] pairs. */
type Case = readonly [string, string];

function check(cases: readonly Case[]): void {
  for (const [input, expected] of cases) assert.strictEqual(redact(input), expected, `redact(${JSON.stringify(input)})`);
}

describe("redact: URL userinfo", () => {
  it("masks user:password, a lone token and passwords with encoded or raw special characters", () => {
    check([
      ["http://mirror:pa55w0rd@host/cockroach-v23.1.12.linux-amd64.tgz", "http://redacted@host/cockroach-v23.1.12.linux-amd64.tgz"],
      ["https://user:tok@example.com/x.tgz", "https://redacted@example.com/x.tgz"],
      ["https://ghp_0123456789abcdef@github.com/org/repo.git", "https://redacted@github.com/org/repo.git"],
      ["http://u:p%40ss%2Fw%3Ard@h:8080/a", "http://redacted@h:8080/a"],
      ["http://u:p@ss@h/a", "http://redacted@h/a"],
      [
        "postgresql://root:secretpw@127.0.0.1:26257/defaultdb?sslmode=verify-full",
        "postgresql://redacted@127.0.0.1:26257/defaultdb?sslmode=verify-full",
      ],
      ["HTTPS://User:Pw@Host.Example/Path", "HTTPS://redacted@Host.Example/Path"],
    ]);
  });

  it("masks every URL in a message, including inside quotes, parentheses and after a colon", () => {
    check([
      [
        "cannot fetch http://a:b1@h1/x.sha256sum (also tried 'http://c:d2@h2/y'): curl: (22) 401",
        "cannot fetch http://redacted@h1/x.sha256sum (also tried 'http://redacted@h2/y'): curl: (22) 401",
      ],
      ['wget "https://u:v@mirror/x.tgz" failed', 'wget "https://redacted@mirror/x.tgz" failed'],
    ]);
  });

  it("leaves an @ in the path alone (it is not userinfo)", () => {
    check([["https://registry.example/@scope/pkg/-/pkg-1.0.tgz", "https://registry.example/@scope/pkg/-/pkg-1.0.tgz"]]);
  });
});

describe("redact: cloud-storage URIs (CockroachDB's RedactedParams)", () => {
  it("masks each parameter CockroachDB registers, keeping the others", () => {
    check([
      [
        "s3://bucket/path?AWS_ACCESS_KEY_ID=AKIAEXAMPLE&AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI&AWS_SESSION_TOKEN=FwoGZX&AWS_REGION=us-east-1",
        "s3://bucket/path?AWS_ACCESS_KEY_ID=AKIAEXAMPLE&AWS_SECRET_ACCESS_KEY=redacted&AWS_SESSION_TOKEN=redacted&AWS_REGION=us-east-1",
      ],
      [
        "gs://b/p?AUTH=specified&CREDENTIALS=eyJ0eXBlIjo&BEARER_TOKEN=ya29.abc",
        "gs://b/p?AUTH=specified&CREDENTIALS=redacted&BEARER_TOKEN=redacted",
      ],
      [
        "azure-blob://c/p?AZURE_ACCOUNT_NAME=acct&AZURE_ACCOUNT_KEY=abc%3D%3D&AZURE_CLIENT_ID=id&AZURE_CLIENT_SECRET=shh&AZURE_TENANT_ID=t",
        "azure-blob://c/p?AZURE_ACCOUNT_NAME=acct&AZURE_ACCOUNT_KEY=redacted&AZURE_CLIENT_ID=id&AZURE_CLIENT_SECRET=redacted&AZURE_TENANT_ID=t",
      ],
      [
        "kafka://broker:9092?tls_enabled=true&sasl_enabled=true&sasl_user=u&sasl_password=p&ca_cert=Zm9v",
        "kafka://broker:9092?tls_enabled=true&sasl_enabled=true&sasl_user=u&sasl_password=redacted&ca_cert=redacted",
      ],
    ]);
  });

  it("matches names in any case and percent-encoded, and values with encoded characters", () => {
    check([
      ["s3://b?aws_secret_access_key=a%2Fb%2Bc%3D&x=1", "s3://b?aws_secret_access_key=redacted&x=1"],
      ["s3://b?Aws_Session_Token=zz&region=r", "s3://b?Aws_Session_Token=redacted&region=r"],
      ["s3://b?AWS%5FSECRET%5FACCESS%5FKEY=xyz&x=1", "s3://b?AWS%5FSECRET%5FACCESS%5FKEY=redacted&x=1"],
      ["gs://b?credentials=e30%3D#frag", "gs://b?credentials=redacted#frag"],
    ]);
  });

  it("masks credential-like parameters of any URL (presigned, SAS, API keys) but not ids, regions or AUTH modes", () => {
    check([
      [
        "https://example.com/x.tgz?X-Amz-Credential=AK%2F2023&X-Amz-Signature=deadbeef&X-Amz-Expires=300",
        "https://example.com/x.tgz?X-Amz-Credential=redacted&X-Amz-Signature=redacted&X-Amz-Expires=300",
      ],
      [
        "https://acct.blob.core.windows.net/c/x.tgz?sv=2022&sp=r&sig=abc%2B123",
        "https://acct.blob.core.windows.net/c/x.tgz?sv=2022&sp=r&sig=redacted",
      ],
      ["https://mirror/x.tgz?token=t0k3n&apikey=k&key=g00gle", "https://mirror/x.tgz?token=redacted&apikey=redacted&key=redacted"],
      ["https://mirror/x.tgz?password=a&passwd=b&pwd=c", "https://mirror/x.tgz?password=redacted&passwd=redacted&pwd=redacted"],
    ]);
  });

  it("masks the master key id of KMS URIs (RedactKMSURI) along with their credentials", () => {
    check([
      [
        "aws-kms:///arn:aws:kms:us-east-1:123456789012:key/abcd-ef?AUTH=implicit&REGION=us-east-1",
        "aws-kms:///redacted?AUTH=implicit&REGION=us-east-1",
      ],
      [
        "gcp-kms:///projects/p/locations/l/keyRings/r/cryptoKeys/k?AUTH=specified&CREDENTIALS=abc",
        "gcp-kms:///redacted?AUTH=specified&CREDENTIALS=redacted",
      ],
    ]);
  });

  it("documents CockroachDB's registered names, and recognises each as a credential", () => {
    for (const p of [
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AZURE_ACCOUNT_KEY",
      "AZURE_CLIENT_SECRET",
      "CREDENTIALS",
      "BEARER_TOKEN",
    ]) {
      assert.ok(CREDENTIAL_PARAMS.includes(p), p);
      assert.ok(isCredentialName(p) && isCredentialName(p.toLowerCase()), p);
    }
    for (const p of ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AUTH", "AZURE_ACCOUNT_NAME", "AZURE_CLIENT_ID", "S3_STORAGE_CLASS", "sslmode"]) {
      assert.ok(!isCredentialName(p), p);
    }
  });
});

describe("redact: SQL statements", () => {
  it("masks PASSWORD and passphrase literals (quotes doubled inside) and the URIs of a BACKUP", () => {
    check([
      ["CREATE USER bob WITH PASSWORD 's3cr3t'", "CREATE USER bob WITH PASSWORD 'redacted'"],
      ["ALTER USER bob PASSWORD = 'it''s'", "ALTER USER bob PASSWORD = 'redacted'"],
      [
        "BACKUP INTO 's3://bucket?AWS_ACCESS_KEY_ID=AK&AWS_SECRET_ACCESS_KEY=sekret' AS OF SYSTEM TIME '-10s' WITH " +
          "kms = 'aws-kms:///arn:aws:kms:r:1:key/k?AUTH=implicit', encryption_passphrase = 'hunter2'",
        "BACKUP INTO 's3://bucket?AWS_ACCESS_KEY_ID=AK&AWS_SECRET_ACCESS_KEY=redacted' AS OF SYSTEM TIME '-10s' WITH " +
          "kms = 'aws-kms:///redacted?AUTH=implicit', encryption_passphrase = 'redacted'",
      ],
    ]);
  });

  it("leaves statements without credentials unchanged", () => {
    check([
      ["BACKUP INTO 'nodelocal://1/backups' AS OF SYSTEM TIME '-10s'", "BACKUP INTO 'nodelocal://1/backups' AS OF SYSTEM TIME '-10s'"],
      ["SET CLUSTER SETTING version = '23.1'", "SET CLUSTER SETTING version = '23.1'"],
      ["SELECT 'token' AS word", "SELECT 'token' AS word"],
    ]);
  });
});

describe("redact: commands, headers, keys, JSON", () => {
  it("masks credential assignments and flags, keeping the rest of the command", () => {
    check([
      [
        "export TOKEN=abc123 && ./backup.sh --password hunter22 --bucket b",
        "export TOKEN=redacted && ./backup.sh --password redacted --bucket b",
      ],
      ['AWS_SECRET_ACCESS_KEY="a b" aws s3 cp x s3://b/', "AWS_SECRET_ACCESS_KEY=redacted aws s3 cp x s3://b/"],
      ["backup.sh --api-key=k3y --region us-east-1", "backup.sh --api-key=redacted --region us-east-1"],
    ]);
  });

  it("masks Authorization headers, JSON credential fields and PEM private keys", () => {
    check([
      ["> Authorization: Bearer abc.def.ghi", "> Authorization: Bearer redacted"],
      ["< authorization: Basic dXNlcjpwYXNz", "< authorization: Basic redacted"],
      ['{"password": "p4ss", "user": "root"}', '{"password": "redacted", "user": "root"}'],
      [
        "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- end",
        "key: -----BEGIN RSA PRIVATE KEY-----redacted-----END RSA PRIVATE KEY----- end",
      ],
    ]);
  });

  it("leaves text without credentials byte for byte unchanged", () => {
    for (const text of [
      "",
      "drain node n1 (127.0.0.1): done in 3s",
      "cannot fetch http://127.0.0.1:8099/cockroach-v23.1.12.linux-amd64.tgz: HTTP 404",
      "file:///tmp/releases/cockroach-v23.1.12.linux-amd64.tgz",
      "nodelocal://1/backup?AUTH=specified&COCKROACH_LOCALITY=region%3Deast",
      "start node n2 (10.0.0.2): cockroach start --certs-dir=/certs --join=a:26257,b:26257 --insecure",
      "ssh root@10.0.0.1:22 refused: publickey",
      "debug zip written to /var/tmp/crdb-debug-20260101.zip",
    ]) {
      assert.strictEqual(redact(text), text);
    }
  });
});

describe("redact: literal secrets", () => {
  it("masks given values wherever they appear, raw or URL-encoded, longest first; ignores values under 4 characters", () => {
    const out = redact("pw=x p@ss/word and p%40ss%2Fword and p@ss/word2 and ab", ["p@ss/word", "p@ss/word2", "ab"]);
    assert.strictEqual(out, "pw=x redacted and redacted and redacted and ab");
  });

  it("credentialValuesIn finds what redact masks, so it can be masked elsewhere too", () => {
    const sql = "BACKUP INTO 's3://b?AWS_SECRET_ACCESS_KEY=ab%2Fcd' WITH encryption_passphrase = 'it''s-long'";
    assert.deepStrictEqual(credentialValuesIn(sql).sort(), ["ab%2Fcd", "ab/cd", "it's-long"].sort());
    assert.deepStrictEqual(credentialValuesIn("http://mirror:pw1234@h/x"), ["pw1234", "mirror:pw1234"]);
    assert.deepStrictEqual(credentialValuesIn("BACKUP INTO 'nodelocal://1/b'"), []);
  });

  it("urlMayHoldCredentials: userinfo or a query string", () => {
    assert.strictEqual(urlMayHoldCredentials("https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz"), false);
    assert.strictEqual(urlMayHoldCredentials("http://u:p@mirror/cockroach-{version}.tgz"), true);
    assert.strictEqual(urlMayHoldCredentials("http://mirror/cockroach-{version}.tgz?token=t"), true);
  });
});

describe("redact at the provider's edge (redact-boundary)", () => {
  const inputs = {
    version: "v23.1.12",
    sql: { password: "sqlpass-1", tls: { key: "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----" } },
    nodes: [{ name: "n1", connection: { host: "h", password: "sshpass-1", privateKey: "KEYDATA-1", privateKeyPassword: "kpass-1" } }],
    release: { urlTemplate: "http://mirror:mirrorpw@h/c-{version}.tgz" },
    hooks: { backupCommand: "TOKEN=tok-1 ./backup.sh", backupSql: "BACKUP INTO 's3://b?AWS_SECRET_ACCESS_KEY=awssecret-1'" },
  };

  it("secretsIn collects every credential of the inputs", () => {
    const s = secretsIn(inputs);
    for (const v of ["sqlpass-1", "sshpass-1", "KEYDATA-1", "kpass-1", "mirrorpw", "tok-1", "awssecret-1", "TOKEN=tok-1 ./backup.sh"]) {
      assert.ok(s.includes(v), v);
    }
  });

  it("redacts non-input outputs and keeps echoed inputs exact", () => {
    const secrets = secretsIn(inputs);
    const outs = redactOutputs(
      {
        ...inputs,
        lastRollout: { error: "hooks: backup command exited 1: tok-1 sqlpass-1" },
        finalized: true,
        history: [{ outcome: "failed" }],
      },
      secrets,
    );
    assert.deepStrictEqual(outs.hooks, inputs.hooks);
    assert.deepStrictEqual(outs.sql, inputs.sql);
    assert.deepStrictEqual(outs.lastRollout, { error: "hooks: backup command exited 1: redacted redacted" });
    assert.strictEqual(outs.finalized, true);
  });

  it("redacts an Error's message and stack, and a partial failure's message, reasons and properties", () => {
    const e = redactThrown(new Error("cannot fetch http://mirror:mirrorpw@h/x"), []) as Error;
    assert.strictEqual(e.message, "cannot fetch http://redacted@h/x");
    assert.ok(!(e.stack ?? "").includes("mirrorpw"));
    const f = redactThrown(
      { id: "x", message: "sqlpass-1", reasons: ["sqlpass-1"], properties: { sql: inputs.sql, lastRollout: { e: "sqlpass-1" } } },
      ["sqlpass-1"],
    ) as { message: string; reasons: string[]; properties: Record<string, unknown> };
    assert.strictEqual(f.message, "redacted");
    assert.deepStrictEqual(f.reasons, ["redacted"]);
    assert.deepStrictEqual(f.properties, { sql: inputs.sql, lastRollout: { e: "redacted" } });
  });

  it("redactDeep leaves non-strings and keys alone", () => {
    assert.deepStrictEqual(redactDeep({ a: 1, b: [true, "http://u:p@h/"], password: null }), {
      a: 1,
      b: [true, "http://redacted@h/"],
      password: null,
    });
  });

  it("check: a refused release URL is named masked, refused hooks by type only", async () => {
    const r = await checkInputs(
      {},
      {
        version: "v23.1.12",
        nodes: [],
        release: { urlTemplate: "https://mirror:a-very-long-mirror-password-1234567890@mirror.example/no-version-placeholder.tgz" },
        hooks: { backupSql: 42, backupCommand: ["TOKEN=tok-abcdef"] },
      },
    );
    const reasons = r.failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
    assert.match(reasons, /release\.urlTemplate: must contain \{version\}.*https:\/\/redacted@mirror\.example/);
    assert.match(reasons, /hooks\.backupSql: must be a string \(got a number\)/);
    assert.ok(!reasons.includes("a-very-long") && !reasons.includes("tok-abcdef"), reasons);
  });
});
