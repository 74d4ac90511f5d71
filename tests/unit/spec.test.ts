/**
 * Input normalisation: valid inputs pass check unchanged, parseSpec fills
 * every default, the preview sentinel is tolerated, and refuseIfFinalized
 * guards downgrades. Refusals are in spec-refusals.test.ts.
 */
import * as assert from "assert";
import { isSpecError } from "../../provider/core/errors";
import { checkInputs, isUnknown, parseSpec, refuseIfFinalized } from "../../provider/spec/parse";
import { DEFAULT_RELEASE_URL, UNKNOWN } from "../../provider/core/types";
import { inputs, nodeInput } from "./pure-fixtures";
import { OPENSSH_PUB, PRIVATE_PEM, failsAt, failuresOf, withNode } from "./spec-fixtures";

describe("provider/spec", () => {
  describe("valid inputs", () => {
    it("accepts a plain three-node cluster and returns the inputs as given", () => {
      const news = inputs();
      const r = checkInputs({}, news);
      assert.deepStrictEqual(r.failures, []);
      assert.strictEqual(r.inputs, news);
    });

    it("reads the per-command deadlines (probe, swap) like the per-phase ones", () => {
      const spec = parseSpec({ ...inputs(), strategy: { deadlines: { probe: "45s", swap: "5m" } } });
      assert.strictEqual(spec.strategy.deadlines.probeMs, 45_000);
      assert.strictEqual(spec.strategy.deadlines.swapMs, 300_000);
      assert.strictEqual(spec.strategy.deadlines.drainMs, 600_000);
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
      assert.strictEqual(s.gateRecheckAfterMs, 10_000);
      assert.deepStrictEqual(s.deadlines, {
        drainMs: 600_000,
        stopMs: 300_000,
        startMs: 300_000,
        readyMs: 600_000,
        clusterMs: 600_000,
        finalizeMs: 1_800_000,
        probeMs: 30_000,
        swapMs: 120_000,
      });
      assert.strictEqual(s.overallDeadlineMs, 6 * 3_600_000);
      assert.strictEqual(s.maxUnavailable, 1);
      assert.strictEqual(s.batch, "node");
      assert.strictEqual(s.rollbackOnFailure, true);
      assert.deepStrictEqual(s.finalize, { mode: "manual" });
      assert.strictEqual(s.paused, false);
      assert.deepStrictEqual(spec.sql, { user: "root", insecure: true, database: "defaultdb" });
      assert.deepStrictEqual(spec.release, { urlTemplate: DEFAULT_RELEASE_URL, fetch: "node" });
      assert.deepStrictEqual(spec.hooks, { debugZipOnFailure: true, debugZipDeadlineMs: 180_000 });
      const n = spec.nodes[0];
      assert.deepStrictEqual(n.connection, {
        kind: "local",
        host: "localhost",
        port: 22,
        user: "root",
        dialErrorLimit: 10,
        perDialTimeoutMs: 15_000,
      });
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
      assert.strictEqual(c.hostKey, OPENSSH_PUB, "passed through as given: the transport parses every accepted form");
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

  describe("the preview sentinel", () => {
    it("accepts a wholly unknown node list in check", () => {
      assert.deepStrictEqual(failuresOf({ ...inputs(), nodes: UNKNOWN }), []);
    });

    it("accepts unknown values anywhere and skips the checks that depend on them", () => {
      const news = {
        ...inputs(),
        version: UNKNOWN,
        nodes: [
          nodeInput(1, { sqlAddr: UNKNOWN, connection: { host: UNKNOWN, privateKey: UNKNOWN } }),
          UNKNOWN,
          nodeInput(3, { name: UNKNOWN }),
        ],
        strategy: { order: ["n1", "nX", UNKNOWN], waitAfterRejoin: UNKNOWN, deadlines: UNKNOWN },
        sql: UNKNOWN,
      };
      assert.deepStrictEqual(failuresOf(news), []);
    });

    it("still validates the known values next to unknown ones", () => {
      failsAt(
        { ...inputs(), nodes: [nodeInput(1, { sqlAddr: UNKNOWN }), UNKNOWN, nodeInput(3, { httpAddr: "nope" })] },
        "nodes[2].httpAddr",
        /host:port/,
      );
    });

    it("parseSpec refuses unknown values, naming where they are", () => {
      assert.throws(
        () => parseSpec({ ...inputs(), nodes: [nodeInput(1, { sqlAddr: UNKNOWN }), nodeInput(2)] }),
        (e: unknown) =>
          isSpecError(e) &&
          e.failures.length === 1 &&
          e.failures[0].property === "nodes[0].sqlAddr" &&
          /unknown/.test(e.failures[0].reason),
      );
    });

    it("parseSpec reports an unknown connection once", () => {
      assert.throws(
        () => parseSpec(withNode(0, { connection: UNKNOWN })),
        (e: unknown) => isSpecError(e) && e.failures.length === 1 && e.failures[0].property === "nodes[0].connection",
      );
    });

    it("isUnknown finds the sentinel at any depth", () => {
      assert.strictEqual(isUnknown(UNKNOWN), true);
      assert.strictEqual(isUnknown({ a: [{ b: UNKNOWN }] }), true);
      assert.strictEqual(isUnknown(inputs()), false);
      assert.strictEqual(isUnknown(undefined), false);
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
