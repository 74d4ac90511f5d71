/**
 * Input validation and normalisation: every bad input fails at its dotted
 * path with a reason saying what is allowed, the preview sentinel is
 * tolerated, secrets never appear in a reason, and parseSpec fills every
 * default.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import { isSpecError } from "../../provider/errors";
import { checkInputs, isUnknown, parseSpec, refuseIfFinalized } from "../../provider/spec";
import type { CheckFailure, ClusterVersionInputs, NodeInput } from "../../provider/types";
import { DEFAULT_RELEASE_URL, UNKNOWN } from "../../provider/types";
import { inputs, nodeInput, seeded } from "./pure-fixtures";

const ED25519_KEY = crypto.generateKeyPairSync("ed25519");
const PRIVATE_PEM = ED25519_KEY.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const OPENSSH_PUB = (() => {
  const raw = ED25519_KEY.publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64")} test@host`;
})();

/** Inputs with one node replaced by `patch` applied to node i. */
function withNode(i: number, patch: Record<string, unknown>, base = inputs()): ClusterVersionInputs {
  return { ...base, nodes: base.nodes.map((n, j) => (j === i ? ({ ...n, ...patch } as NodeInput) : n)) };
}

function failuresOf(news: unknown, olds: unknown = {}): CheckFailure[] {
  return checkInputs(olds, news).failures;
}

/** Asserts exactly one failure, at `property`, whose reason matches. */
function failsAt(news: unknown, property: string, reason: RegExp): void {
  const f = failuresOf(news);
  assert.deepStrictEqual(
    f.map((x) => x.property),
    [property],
    `expected one failure at ${property}, got ${JSON.stringify(f, null, 1)}`,
  );
  assert.match(f[0].reason, reason);
}

describe("provider/spec", () => {
  describe("valid inputs", () => {
    it("accepts a plain three-node cluster and returns the inputs as given", () => {
      const news = inputs();
      const r = checkInputs({}, news);
      assert.deepStrictEqual(r.failures, []);
      assert.strictEqual(r.inputs, news);
    });

    it("fills every documented default", () => {
      const spec = parseSpec(inputs());
      const s = spec.strategy;
      assert.deepStrictEqual(s.order, ["n1", "n2", "n3"]);
      assert.strictEqual(s.waitAfterRejoinMs, 60_000);
      assert.strictEqual(s.canary, true);
      assert.strictEqual(s.canaryBakeMs, 120_000);
      assert.strictEqual(s.gateSamples, 3);
      assert.strictEqual(s.gateIntervalMs, 5_000);
      assert.strictEqual(s.gateRecheckAfterMs, 22_000);
      assert.deepStrictEqual(s.deadlines, { drainMs: 600_000, stopMs: 300_000, startMs: 300_000, readyMs: 600_000, clusterMs: 600_000, finalizeMs: 1_800_000 });
      assert.strictEqual(s.overallDeadlineMs, 6 * 3_600_000);
      assert.strictEqual(s.maxUnavailable, 1);
      assert.strictEqual(s.batch, "node");
      assert.strictEqual(s.rollbackOnFailure, true);
      assert.deepStrictEqual(s.finalize, { mode: "manual" });
      assert.strictEqual(s.paused, false);
      assert.deepStrictEqual(spec.sql, { user: "root", insecure: true, database: "defaultdb" });
      assert.deepStrictEqual(spec.release, { urlTemplate: DEFAULT_RELEASE_URL, fetch: "node" });
      assert.deepStrictEqual(spec.hooks, {});
      const n = spec.nodes[0];
      assert.deepStrictEqual(n.connection, { kind: "local", host: "localhost", port: 22, user: "root", dialErrorLimit: 10, perDialTimeoutMs: 15_000 });
      assert.deepStrictEqual(n.sqlAddr, { host: "10.0.0.2", port: 26257 });
      assert.strictEqual(n.stagingDir, "/usr/local/bin/.crdb-upgrade");
      assert.strictEqual(n.locality, "region=r1,zone=a");
    });

    it("derives the canary bake from waitAfterRejoin when only that is given", () => {
      assert.strictEqual(parseSpec(inputs(3, "v23.1.11", { strategy: { waitAfterRejoin: "90s" } })).strategy.canaryBakeMs, 180_000);
    });

    it("normalises an SSH connection with @pulumi/command's defaults", () => {
      const spec = parseSpec(withNode(0, { connection: { host: "db1.example.com", privateKey: PRIVATE_PEM, hostKey: OPENSSH_PUB } }));
      const c = spec.nodes[0].connection;
      assert.strictEqual(c.kind, "ssh");
      assert.strictEqual(c.port, 22);
      assert.strictEqual(c.user, "root");
      assert.strictEqual(c.perDialTimeoutMs, 15_000);
      assert.strictEqual(c.hostKey, OPENSSH_PUB.split(" ").slice(0, 2).join(" "));
    });

    it('treats connection "local" like an omitted connection', () => {
      assert.strictEqual(parseSpec(withNode(1, { connection: "local" })).nodes[1].connection.kind, "local");
    });

    it("accepts every process manager, a custom order, afterBake finalization and file:// releases", () => {
      const news = inputs(3, "v23.1.11", {
        nodes: [
          nodeInput(1, { process: { manager: "systemd", unit: "cockroach.service" } }),
          nodeInput(2, { process: { manager: "commands", start: "svc start", stop: "svc stop", status: "svc status" } }),
          nodeInput(3, { stagingDir: "/srv/stage", locality: undefined }),
        ],
        strategy: { order: ["n3", "n1", "n2"], finalize: "afterBake:30m", canaryBake: 0 },
        release: { urlTemplate: "file:///srv/releases/cockroach-{version}.linux-amd64.tgz", sha256: "A".repeat(64), fetch: "provider" },
        hooks: { backupSql: "BACKUP INTO 'nodelocal://1/b'", debugZip: "/tmp/zip.zip" },
        providerVersion: "0.1.0",
      });
      assert.deepStrictEqual(failuresOf(news), []);
      const spec = parseSpec(news);
      assert.deepStrictEqual(spec.nodes[0].process, { manager: "systemd", unit: "cockroach.service", useSudo: false });
      assert.deepStrictEqual(spec.strategy.finalize, { mode: "afterBake", bakeMs: 1_800_000 });
      assert.strictEqual(spec.release.sha256, "a".repeat(64));
      assert.strictEqual(spec.nodes[2].stagingDir, "/srv/stage");
      assert.strictEqual(spec.nodes[2].locality, "");
      assert.strictEqual(spec.strategy.canaryBakeMs, 0);
    });

    it("ignores the engine's own __provider key", () => {
      assert.deepStrictEqual(failuresOf({ ...inputs(), __provider: "exports.handler = ..." }), []);
    });

    it("allows a single-node cluster with the default maxUnavailable", () => {
      assert.deepStrictEqual(failuresOf(inputs(1)), []);
    });
  });

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
      ["an httpAddr equal to another node's sqlAddr", () => withNode(1, { httpAddr: "10.0.0.2:26257" }), "nodes[1].httpAddr", /same host:port as nodes\[0\]\.sqlAddr/],
      ["an address without a port", () => withNode(0, { sqlAddr: "10.0.0.1" }), "nodes[0].sqlAddr", /must be "host:port"/],
      ["a port out of range", () => withNode(0, { httpAddr: "10.0.0.1:65536" }), "nodes[0].httpAddr", /port must be from 1 to 65535 \(got 65536\)/],
      ["port zero", () => withNode(0, { httpAddr: "10.0.0.1:0" }), "nodes[0].httpAddr", /port must be from 1 to 65535/],
      ["a relative binaryPath", () => withNode(0, { binaryPath: "cockroach" }), "nodes[0].binaryPath", /absolute path/],
      ["a missing binaryPath", () => withNode(0, { binaryPath: undefined }), "nodes[0].binaryPath", /is required/],
      ["a malformed locality", () => withNode(0, { locality: "zone a" }), "nodes[0].locality", /key=value pairs/],
      ["an unknown process manager", () => withNode(0, { process: { manager: "docker" } }), "nodes[0].process.manager", /one of "cockroach", "systemd", "commands" \(got "docker"\)/],
      ["a missing process", () => withNode(0, { process: undefined }), "nodes[0].process", /is required/],
      ["start flags that set --pid-file", () => withNode(0, { process: { manager: "cockroach", startFlags: ["--pid-file=/x"], pidFile: "/p" } }), "nodes[0].process.startFlags[0]", /must not contain --pid-file/],
      ["a systemd key under commands", () => withNode(0, { process: { manager: "commands", start: "a", stop: "b", status: "c", unit: "x" } }), "nodes[0].process.unit", /unknown key "unit".*Allowed keys: manager, start, stop, status/],
      ["an empty stop command", () => withNode(0, { process: { manager: "commands", start: "a", stop: " ", status: "c" } }), "nodes[0].process.stop", /must not be empty/],
      ["a connection without host", () => withNode(0, { connection: { user: "ubuntu" } }), "nodes[0].connection.host", /is required/],
      ["a connection string other than local", () => withNode(0, { connection: "ssh" }), "nodes[0].connection", /"local" or an SSH connection object/],
      ["an SSH port out of range", () => withNode(0, { connection: { host: "h", port: 70000 } }), "nodes[0].connection.port", /from 1 to 65535/],
      ["a zero perDialTimeout", () => withNode(0, { connection: { host: "h", perDialTimeout: 0 } }), "nodes[0].connection.perDialTimeout", /greater than zero/],
      ["a malformed hostKey", () => withNode(0, { connection: { host: "h", hostKey: "AAAAC3Nza" } }), "nodes[0].connection.hostKey", /public host key/],
      ["a hostKey whose data is another key type", () => withNode(0, { connection: { host: "h", hostKey: OPENSSH_PUB.replace("ssh-ed25519", "ssh-rsa") } }), "nodes[0].connection.hostKey", /does not encode a "ssh-rsa" key/],
      ["a typo in a strategy key", () => ({ ...inputs(), strategy: { waitAfterRejion: "1m" } }), "strategy.waitAfterRejion", /unknown key "waitAfterRejion"; did you mean "waitAfterRejoin"\? Allowed keys: order, canary/],
      ["an unknown top-level key", () => ({ ...inputs(), verison: "v23.1.12" }), "verison", /did you mean "version"/],
      ["an unknown batch", () => ({ ...inputs(), strategy: { batch: "zone" } }), "strategy.batch", /one of "node", "locality"/],
      ["an unknown fetch", () => ({ ...inputs(), release: { fetch: "s3" } }), "release.fetch", /one of "node", "provider"/],
      ["a zero deadline", () => ({ ...inputs(), strategy: { deadlines: { drain: "0s" } } }), "strategy.deadlines.drain", /greater than zero/],
      ["a zero gate interval", () => ({ ...inputs(), strategy: { gateInterval: 0 } }), "strategy.gateInterval", /greater than zero/],
      ["a negative bake", () => ({ ...inputs(), strategy: { waitAfterRejoin: "-1m" } }), "strategy.waitAfterRejoin", /must not be negative/],
      ["a negative canary bake", () => ({ ...inputs(), strategy: { canaryBake: -5 } }), "strategy.canaryBake", /must not be negative/],
      ["a garbage overall deadline", () => ({ ...inputs(), strategy: { overallDeadline: "soon" } }), "strategy.overallDeadline", /must be a duration/],
      ["zero gate samples", () => ({ ...inputs(), strategy: { gateSamples: 0 } }), "strategy.gateSamples", /from 1 to 100/],
      ["an order naming an unknown node", () => ({ ...inputs(), strategy: { order: ["n1", "n2", "n3", "n9"] } }), "strategy.order[3]", /names no node: "n9"; node names are "n1", "n2", "n3"/],
      ["an order missing a node", () => ({ ...inputs(), strategy: { order: ["n1", "n2"] } }), "strategy.order", /missing "n3"/],
      ["an order listing a node twice", () => ({ ...inputs(2), strategy: { order: ["n1", "n2", "n1"] } }), "strategy.order[2]", /twice/],
      ["maxUnavailable below 1", () => ({ ...inputs(), strategy: { maxUnavailable: 0 } }), "strategy.maxUnavailable", /from 1 to 1000/],
      ["maxUnavailable 2 without locality batching", () => ({ ...inputs(5), strategy: { maxUnavailable: 2 } }), "strategy.maxUnavailable", /must be 1 unless strategy.batch is "locality".*3x replication/],
      ["maxUnavailable of every node", () => ({ ...inputs(3), strategy: { batch: "locality", maxUnavailable: 3 } }), "strategy.maxUnavailable", /at most 2 .*quorum/],
      ["locality batching with a node without locality", () => withNode(1, { locality: undefined }, inputs(3, "v23.1.11", { strategy: { batch: "locality" } })), "nodes[1].locality", /required when strategy.batch is "locality"/],
      ["an unknown finalize mode", () => ({ ...inputs(), strategy: { finalize: "later" } }), "strategy.finalize", /"manual", "auto" or "afterBake:<duration>"/],
      ["an afterBake without a duration", () => ({ ...inputs(), strategy: { finalize: "afterBake:" } }), "strategy.finalize", /after "afterBake:"/],
      ["a sha256 that is not 64 hex digits", () => ({ ...inputs(), release: { sha256: "abc123" } }), "release.sha256", /64 hex digits/],
      ["a urlTemplate without {version}", () => ({ ...inputs(), release: { urlTemplate: "https://x/cockroach.tgz" } }), "release.urlTemplate", /must contain \{version\}/],
      ["a urlTemplate with another scheme", () => ({ ...inputs(), release: { urlTemplate: "ftp://x/{version}.tgz" } }), "release.urlTemplate", /https:\/\/, http:\/\/ or file:\/\//],
      ["a urlTemplate that is not a URL", () => ({ ...inputs(), release: { urlTemplate: "binaries/{version}" } }), "release.urlTemplate", /must be a URL/],
      ["an empty backup command", () => ({ ...inputs(), hooks: { backupCommand: "" } }), "hooks.backupCommand", /must not be empty/],
      ["an empty backup SQL", () => ({ ...inputs(), hooks: { backupSql: "  " } }), "hooks.backupSql", /must not be empty/],
      ["a relative debug zip path", () => ({ ...inputs(), hooks: { debugZip: "zip.zip" } }), "hooks.debugZip", /absolute path/],
      ["a password on an insecure cluster", () => ({ ...inputs(), sql: { insecure: true, password: "pw" } }), "sql.password", /cannot be used with sql.insecure/],
      ["a client cert without its key", () => ({ ...inputs(), sql: { tls: { cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" } } }), "sql.tls.key", /give both or neither/],
      ["a CA that is not a certificate", () => ({ ...inputs(), sql: { tls: { ca: "/etc/certs/ca.crt" } } }), "sql.tls.ca", /must be a PEM certificate/],
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
      failsAt(withNode(0, { connection: { host: "h", privateKey: pub } }), "nodes[0].connection.privateKey", /"PUBLIC KEY" block, not a private key/);
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

  describe("the preview sentinel", () => {
    it("accepts a wholly unknown node list in check", () => {
      assert.deepStrictEqual(failuresOf({ ...inputs(), nodes: UNKNOWN }), []);
    });

    it("accepts unknown values anywhere and skips the checks that depend on them", () => {
      const news = {
        ...inputs(),
        version: UNKNOWN,
        nodes: [nodeInput(1, { sqlAddr: UNKNOWN, connection: { host: UNKNOWN, privateKey: UNKNOWN } }), UNKNOWN, nodeInput(3, { name: UNKNOWN })],
        strategy: { order: ["n1", "nX", UNKNOWN], waitAfterRejoin: UNKNOWN, deadlines: UNKNOWN },
        sql: UNKNOWN,
      };
      assert.deepStrictEqual(failuresOf(news), []);
    });

    it("still validates the known values next to unknown ones", () => {
      failsAt({ ...inputs(), nodes: [nodeInput(1, { sqlAddr: UNKNOWN }), UNKNOWN, nodeInput(3, { httpAddr: "nope" })] }, "nodes[2].httpAddr", /host:port/);
    });

    it("parseSpec refuses unknown values, naming where they are", () => {
      assert.throws(
        () => parseSpec({ ...inputs(), nodes: [nodeInput(1, { sqlAddr: UNKNOWN }), nodeInput(2)] }),
        (e: unknown) => isSpecError(e) && e.failures.length === 1 && e.failures[0].property === "nodes[0].sqlAddr" && /unknown/.test(e.failures[0].reason),
      );
    });

    it("isUnknown finds the sentinel at any depth", () => {
      assert.strictEqual(isUnknown(UNKNOWN), true);
      assert.strictEqual(isUnknown({ a: [{ b: UNKNOWN }] }), true);
      assert.strictEqual(isUnknown(inputs()), false);
      assert.strictEqual(isUnknown(undefined), false);
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
      const junk = (): unknown => [undefined, null, 0, -1, 1.5, "", "x", UNKNOWN, true, [], {}, [null], { name: 1 }, "v23.1.12", "1:2"][rand(15)];
      const mutate = (v: unknown, depth: number): unknown => {
        if (depth > 4 || rand(6) === 0) return junk();
        if (Array.isArray(v)) return v.map((x) => mutate(x, depth + 1));
        if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rand(3) === 0 ? mutate(x, depth + 1) : x]));
        return rand(2) === 0 ? junk() : v;
      };
      for (let i = 0; i < 2000; i++) {
        const news = mutate(inputs(3, "v23.1.11", { strategy: { order: ["n1", "n2", "n3"], deadlines: { drain: "1m" } }, release: { sha256: "0".repeat(64) } }), 0);
        const r = checkInputs(mutate(inputs(), 0), news);
        assert.ok(Array.isArray(r.failures));
        for (const f of r.failures) assert.ok(typeof f.property === "string" && typeof f.reason === "string" && f.reason.length > 0);
        assert.ok(!r.failures.some((f) => f.property === "(inputs)" && /could not be validated/.test(f.reason)), JSON.stringify(r.failures));
      }
    });
  });

  describe("refuseIfFinalized", () => {
    const outputs = { version: "v24.1.3", finalized: true, clusterVersion: "24.1" };

    it("refuses a major downgrade once the stored outputs say finalized, pointing at a restore", () => {
      const f = refuseIfFinalized(outputs, "v23.2.5");
      assert.strictEqual(f?.property, "version");
      assert.match(f?.reason ?? "", /finalized \(cluster version 24\.1\).*restore a backup into a new cluster running v23\.2\.5/);
    });

    it("allows patch downgrades, upgrades and unfinalized rollbacks", () => {
      assert.strictEqual(refuseIfFinalized(outputs, "v24.1.1"), undefined);
      assert.strictEqual(refuseIfFinalized(outputs, "v24.3.1"), undefined);
      assert.strictEqual(refuseIfFinalized({ ...outputs, finalized: false }, "v23.2.5"), undefined);
      assert.strictEqual(refuseIfFinalized({}, "v23.2.5"), undefined);
      assert.strictEqual(refuseIfFinalized(outputs, UNKNOWN), undefined);
    });
  });
});
