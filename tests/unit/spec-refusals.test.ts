/**
 * Input refusals: every bad input fails at its dotted path with a reason
 * saying what is allowed; secrets never appear in a reason; checkInputs
 * never throws, whatever it is given.
 */
import * as assert from "assert";
import { isSpecError } from "../../provider/core/errors";
import { checkInputs, parseSpec } from "../../provider/spec/parse";
import type { ClusterVersionInputs } from "../../provider/core/types";
import { UNKNOWN } from "../../provider/core/types";
import { inputs, seeded } from "./pure-fixtures";
import { ED25519_KEY, OPENSSH_PUB, failsAt, failuresOf, withNode } from "./spec-fixtures";

describe("provider/spec refusals", () => {
  describe("refusals, each at its dotted path", () => {
    const cases: readonly [string, () => unknown, string, RegExp][] = [
      ["a malformed version", () => ({ ...inputs(), version: "23.1.x" }), "version", /build tag starting with v/],
      ["an unknown version series", () => ({ ...inputs(), version: "v27.1.0" }), "version", /27\.1 is not known/],
      ["a missing version", () => ({ ...inputs(), version: undefined }), "version", /is required/],
      ["an empty node list", () => ({ ...inputs(), nodes: [] }), "nodes", /at least one node/],
      ["nodes that are not a list", () => ({ ...inputs(), nodes: { n1: {} } }), "nodes", /must be a list/],
      ["an empty node name", () => withNode(2, { name: "" }), "nodes[2].name", /must not be empty/],
      ["a duplicate node name", () => withNode(2, { name: "n1" }), "nodes[2].name", /duplicate name "n1": nodes\[0\] has the same name/],
      ["a duplicate sqlAddr", () => withNode(2, { sqlAddr: "10.0.0.2:26257" }), "nodes[2].sqlAddr", /duplicate sqlAddr.*nodes\[0\]/],
      [
        "an httpAddr equal to another node's sqlAddr",
        () => withNode(1, { httpAddr: "10.0.0.2:26257" }),
        "nodes[1].httpAddr",
        /same host:port as nodes\[0\]\.sqlAddr/,
      ],
      ["an address without a port", () => withNode(0, { sqlAddr: "10.0.0.1" }), "nodes[0].sqlAddr", /must be "host:port"/],
      [
        "a port out of range",
        () => withNode(0, { httpAddr: "10.0.0.1:65536" }),
        "nodes[0].httpAddr",
        /port must be from 1 to 65535 \(got 65536\)/,
      ],
      ["port zero", () => withNode(0, { httpAddr: "10.0.0.1:0" }), "nodes[0].httpAddr", /port must be from 1 to 65535/],
      ["a relative binaryPath", () => withNode(0, { binaryPath: "cockroach" }), "nodes[0].binaryPath", /absolute path/],
      ["a missing binaryPath", () => withNode(0, { binaryPath: undefined }), "nodes[0].binaryPath", /is required/],
      ["a malformed locality", () => withNode(0, { locality: "zone a" }), "nodes[0].locality", /key=value pairs/],
      [
        "an unknown process manager",
        () => withNode(0, { process: { manager: "docker" } }),
        "nodes[0].process.manager",
        /one of "cockroach", "systemd", "commands" \(got "docker"\)/,
      ],
      ["a missing process", () => withNode(0, { process: undefined }), "nodes[0].process", /is required/],
      [
        "start flags that set --pid-file",
        () => withNode(0, { process: { manager: "cockroach", startFlags: ["--pid-file=/x"], pidFile: "/p" } }),
        "nodes[0].process.startFlags[0]",
        /must not contain --pid-file/,
      ],
      [
        "a systemd key under commands",
        () => withNode(0, { process: { manager: "commands", start: "a", stop: "b", status: "c", unit: "x" } }),
        "nodes[0].process.unit",
        /unknown key "unit".*Allowed keys: manager, start, stop, status/,
      ],
      [
        "an empty stop command",
        () => withNode(0, { process: { manager: "commands", start: "a", stop: " ", status: "c" } }),
        "nodes[0].process.stop",
        /must not be empty/,
      ],
      ["a connection without host", () => withNode(0, { connection: { user: "ubuntu" } }), "nodes[0].connection.host", /is required/],
      [
        "a connection string other than local",
        () => withNode(0, { connection: "ssh" }),
        "nodes[0].connection",
        /"local" or an SSH connection object/,
      ],
      [
        "an SSH port out of range",
        () => withNode(0, { connection: { host: "h", port: 70000 } }),
        "nodes[0].connection.port",
        /from 1 to 65535/,
      ],
      [
        "a zero perDialTimeout",
        () => withNode(0, { connection: { host: "h", perDialTimeout: 0 } }),
        "nodes[0].connection.perDialTimeout",
        /greater than zero/,
      ],
      [
        "a malformed hostKey",
        () => withNode(0, { connection: { host: "h", hostKey: "AAAAC3Nza" } }),
        "nodes[0].connection.hostKey",
        /authorized_keys line .* or "insecure-accept-any"/,
      ],
      [
        "a hostKey whose data is another key type",
        () => withNode(0, { connection: { host: "h", hostKey: OPENSSH_PUB.replace("ssh-ed25519", "ssh-rsa") } }),
        "nodes[0].connection.hostKey",
        /is not a ssh-rsa key \(it encodes "ssh-ed25519"\)/,
      ],
      [
        "a typo in a strategy key",
        () => ({ ...inputs(), strategy: { waitAfterRejion: "1m" } }),
        "strategy.waitAfterRejion",
        /unknown key "waitAfterRejion"; did you mean "waitAfterRejoin"\? Allowed keys: order, canary/,
      ],
      ["an unknown top-level key", () => ({ ...inputs(), verison: "v23.1.12" }), "verison", /did you mean "version"/],
      ["an unknown batch", () => ({ ...inputs(), strategy: { batch: "zone" } }), "strategy.batch", /one of "node", "locality"/],
      ["an unknown fetch", () => ({ ...inputs(), release: { fetch: "s3" } }), "release.fetch", /one of "node", "provider"/],
      [
        "a zero deadline",
        () => ({ ...inputs(), strategy: { deadlines: { drain: "0s" } } }),
        "strategy.deadlines.drain",
        /greater than zero/,
      ],
      ["a zero gate interval", () => ({ ...inputs(), strategy: { gateInterval: 0 } }), "strategy.gateInterval", /greater than zero/],
      [
        "a negative bake",
        () => ({ ...inputs(), strategy: { waitAfterRejoin: "-1m" } }),
        "strategy.waitAfterRejoin",
        /must not be negative/,
      ],
      ["a negative canary bake", () => ({ ...inputs(), strategy: { canaryBake: -5 } }), "strategy.canaryBake", /must not be negative/],
      [
        "a garbage overall deadline",
        () => ({ ...inputs(), strategy: { overallDeadline: "soon" } }),
        "strategy.overallDeadline",
        /must be a duration/,
      ],
      ["zero gate samples", () => ({ ...inputs(), strategy: { gateSamples: 0 } }), "strategy.gateSamples", /from 1 to 100/],
      [
        "an order naming an unknown node",
        () => ({ ...inputs(), strategy: { order: ["n1", "n2", "n3", "n9"] } }),
        "strategy.order[3]",
        /names no node: "n9"; node names are "n1", "n2", "n3"/,
      ],
      ["an order missing a node", () => ({ ...inputs(), strategy: { order: ["n1", "n2"] } }), "strategy.order", /missing "n3"/],
      ["an order listing a node twice", () => ({ ...inputs(2), strategy: { order: ["n1", "n2", "n1"] } }), "strategy.order[2]", /twice/],
      ["maxUnavailable below 1", () => ({ ...inputs(), strategy: { maxUnavailable: 0 } }), "strategy.maxUnavailable", /from 1 to 1000/],
      [
        "maxUnavailable 2 without locality batching",
        () => ({ ...inputs(5), strategy: { maxUnavailable: 2 } }),
        "strategy.maxUnavailable",
        /must be 1 unless strategy.batch is "locality".*3x replication/,
      ],
      [
        "maxUnavailable of every node",
        () => ({ ...inputs(3), strategy: { batch: "locality", maxUnavailable: 3 } }),
        "strategy.maxUnavailable",
        /at most 2 .*quorum/,
      ],
      [
        "locality batching with a node without locality",
        () => withNode(1, { locality: undefined }, inputs(3, "v23.1.11", { strategy: { batch: "locality" } })),
        "nodes[1].locality",
        /required when strategy.batch is "locality"/,
      ],
      [
        "an unknown finalize mode",
        () => ({ ...inputs(), strategy: { finalize: "later" } }),
        "strategy.finalize",
        /"manual", "auto" or "afterBake:<duration>"/,
      ],
      [
        "an afterBake without a duration",
        () => ({ ...inputs(), strategy: { finalize: "afterBake:" } }),
        "strategy.finalize",
        /after "afterBake:"/,
      ],
      ["a sha256 that is not 64 hex digits", () => ({ ...inputs(), release: { sha256: "abc123" } }), "release.sha256", /64 hex digits/],
      [
        "a urlTemplate without {version}",
        () => ({ ...inputs(), release: { urlTemplate: "https://x/cockroach.tgz" } }),
        "release.urlTemplate",
        /must contain \{version\}/,
      ],
      [
        "a urlTemplate with another scheme",
        () => ({ ...inputs(), release: { urlTemplate: "ftp://x/{version}.tgz" } }),
        "release.urlTemplate",
        /https:\/\/, http:\/\/ or file:\/\//,
      ],
      [
        "a urlTemplate that is not a URL",
        () => ({ ...inputs(), release: { urlTemplate: "binaries/{version}" } }),
        "release.urlTemplate",
        /must be a URL/,
      ],
      ["an empty backup command", () => ({ ...inputs(), hooks: { backupCommand: "" } }), "hooks.backupCommand", /must not be empty/],
      ["an empty backup SQL", () => ({ ...inputs(), hooks: { backupSql: "  " } }), "hooks.backupSql", /must not be empty/],
      ["a relative debug zip path", () => ({ ...inputs(), hooks: { debugZip: "zip.zip" } }), "hooks.debugZip", /absolute path/],
      [
        "a debug zip on failure that is not a boolean",
        () => ({ ...inputs(), hooks: { debugZipOnFailure: "yes" } }),
        "hooks.debugZipOnFailure",
        /must be true or false/,
      ],
      ["a zero debug zip deadline", () => ({ ...inputs(), hooks: { debugZipDeadline: 0 } }), "hooks.debugZipDeadline", /greater than zero/],
      [
        "a password on an insecure cluster",
        () => ({ ...inputs(), sql: { insecure: true, password: "pw" } }),
        "sql.password",
        /cannot be used with sql.insecure/,
      ],
      [
        "a client cert without its key",
        () => ({ ...inputs(), sql: { tls: { cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" } } }),
        "sql.tls.key",
        /give both or neither/,
      ],
      [
        "a CA that is not a certificate",
        () => ({ ...inputs(), sql: { tls: { ca: "/etc/certs/ca.crt" } } }),
        "sql.tls.ca",
        /must be a PEM certificate/,
      ],
      ["a SQL user with a quote", () => ({ ...inputs(), sql: { insecure: true, user: "ro'ot" } }), "sql.user", /SQL name/],
      ["inputs that are not an object", () => "v23.1.12", "(inputs)", /must be an object/],
    ];
    for (const [what, make, property, reason] of cases) {
      it(`refuses ${what}`, () => failsAt(make(), property, reason));
    }

    it("refuses a private key that is not PEM/OpenSSH without showing it", () => {
      const secret = "AAAAB3NzaC1yc2EAAAADAQABAAABAQC-this-is-secret";
      const f = failuresOf(withNode(0, { connection: { host: "h", privateKey: secret } }));
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].property, "nodes[0].connection.privateKey");
      assert.match(f[0].reason, /must be a PEM or OpenSSH private key.*value not shown: it is secret/);
      assert.ok(!f[0].reason.includes("AAAAB3"), f[0].reason);
    });

    it("refuses a public key given as the private key, saying what it is", () => {
      const pub = ED25519_KEY.publicKey.export({ type: "spki", format: "pem" }).toString();
      failsAt(
        withNode(0, { connection: { host: "h", privateKey: pub } }),
        "nodes[0].connection.privateKey",
        /"PUBLIC KEY" block, not a private key/,
      );
    });

    it("reports every failure at once, not just the first", () => {
      const f = failuresOf({ ...withNode(0, { name: "" }), version: "x", strategy: { gateSamples: -1, batch: "z" } });
      assert.deepStrictEqual(f.map((x) => x.property).sort(), ["nodes[0].name", "strategy.batch", "strategy.gateSamples", "version"]);
    });

    it("refuses in check a version move CockroachDB never allows, with the path", () => {
      const f = failuresOf(inputs(3, "v24.1.3"), inputs(3, "v23.1.11"));
      assert.strictEqual(f.length, 1);
      assert.strictEqual(f[0].property, "version");
      assert.match(f[0].reason, /upgrade one step at a time: 23\.1 -> 23\.2 -> 24\.1/);
    });

    it("lets a one-step major rollback through check (finalization is judged with the cluster)", () => {
      assert.deepStrictEqual(failuresOf(inputs(3, "v23.1.11"), inputs(3, "v23.2.3")), []);
    });

    it("parseSpec throws a SpecError carrying every failure", () => {
      assert.throws(
        () => parseSpec({ ...inputs(), version: "nope", strategy: { canary: "yes" } } as unknown as ClusterVersionInputs),
        (e: unknown) => isSpecError(e) && e.failures.length === 2 && /strategy\.canary: must be true or false/.test(e.message),
      );
    });
  });

  describe("secrets", () => {
    const SECRET = "s3cr3t-Ⓟ-value";
    const secretInputs = (rand: (n: number) => number): unknown => {
      const conn: Record<string, unknown> = { host: rand(4) === 0 ? "" : "h", password: SECRET, privateKeyPassword: SECRET };
      if (rand(2) === 0) conn.privateKey = rand(2) === 0 ? SECRET : `-----BEGIN CERTIFICATE-----\n${SECRET}\n-----END CERTIFICATE-----`;
      if (rand(3) === 0) conn.pasword = SECRET;
      const variants: unknown[] = [SECRET, 42, [SECRET], { x: SECRET }, "", null, true];
      const sql: Record<string, unknown> = { insecure: rand(2) === 0, password: variants[rand(variants.length)] };
      if (rand(2) === 0) sql.tls = { key: variants[rand(variants.length)], cert: rand(2) === 0 ? undefined : "x" };
      return { ...withNode(0, { connection: conn }), sql };
    };

    it("never puts a password or key into a reason, for many broken inputs (seeded)", () => {
      const rand = seeded(1234);
      let failures = 0;
      for (let i = 0; i < 500; i++) {
        const f = failuresOf(secretInputs(rand));
        failures += f.length;
        for (const x of f) assert.ok(!x.reason.includes(SECRET) && !x.property.includes(SECRET), `${x.property}: ${x.reason}`);
        try {
          parseSpec(secretInputs(rand) as ClusterVersionInputs);
        } catch (e) {
          assert.ok(!String((e as Error).message).includes(SECRET));
        }
      }
      assert.ok(failures > 500, "the generator produced failures to inspect");
    });
  });

  describe("robustness", () => {
    it("never throws from checkInputs, whatever it is given (seeded fuzz)", () => {
      const rand = seeded(99);
      const junk = (): unknown =>
        [undefined, null, 0, -1, 1.5, "", "x", UNKNOWN, true, [], {}, [null], { name: 1 }, "v23.1.12", "1:2"][rand(15)];
      const mutate = (v: unknown, depth: number): unknown => {
        if (depth > 4 || rand(6) === 0) return junk();
        if (Array.isArray(v)) return v.map((x) => mutate(x, depth + 1));
        if (typeof v === "object" && v !== null)
          return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rand(3) === 0 ? mutate(x, depth + 1) : x]));
        return rand(2) === 0 ? junk() : v;
      };
      for (let i = 0; i < 2000; i++) {
        const news = mutate(
          inputs(3, "v23.1.11", {
            strategy: { order: ["n1", "n2", "n3"], deadlines: { drain: "1m" } },
            release: { sha256: "0".repeat(64) },
          }),
          0,
        );
        const r = checkInputs(mutate(inputs(), 0), news);
        assert.ok(Array.isArray(r.failures));
        for (const f of r.failures) assert.ok(typeof f.property === "string" && typeof f.reason === "string" && f.reason.length > 0);
        assert.ok(
          !r.failures.some((f) => f.property === "(inputs)" && /could not be validated/.test(f.reason)),
          JSON.stringify(r.failures),
        );
      }
    });
  });
});
