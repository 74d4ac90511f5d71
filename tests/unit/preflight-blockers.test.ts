/**
 * The provider's pre-flight judgement of what would keep CockroachDB from
 * finalizing a major upgrade (provider/cluster/preflight-blockers.ts), its reading of
 * licence keys (license-key.ts), withdrawn releases, and the finalization
 * hints (finalization.ts finalizeHint): pure functions, no cluster.
 */
import * as assert from "assert";
import { finalizeHint } from "../../provider/cluster/finalization";
import { readLicenseKey } from "../../provider/cluster/license-key";
import {
  type BlockerContext,
  judgeDecommissioning,
  judgeInvalidObjects,
  judgeLicense,
  judgeSchemaChangeJobs,
} from "../../provider/cluster/preflight-blockers";
import { classifyMove } from "../../provider/versions/versions";
import { WITHDRAWN_RELEASES } from "../../provider/versions/withdrawn-releases";
import { licenseKey } from "../support/license-keys";

const NOW = Date.now();
const HOUR = 3600_000;
const ctx = (extra: Partial<BlockerContext> = {}): BlockerContext => ({
  kind: "major",
  fromSeries: "24.1",
  targetSeries: "24.3",
  nodeCount: 3,
  horizonMs: 2 * HOUR,
  nowMs: NOW,
  ...extra,
});

describe("provider/preflight-blockers", () => {
  describe("licence", () => {
    it("refuses a major into 24.3 without a licence key, without echoing anything of the key", () => {
      const f = judgeLicense("", "true", ctx());
      assert.strictEqual(f.refusals.length, 1);
      assert.match(
        f.refusals[0],
        /no licence key is installed .*upgrade blocked: no license installed.*SET CLUSTER SETTING enterprise\.license/,
      );
      const bad = judgeLicense("crl-0-not*base64", "true", ctx());
      assert.match(bad.refusals[0], /does not hold a licence key CockroachDB can decode/);
      assert.doesNotMatch(bad.refusals[0], /not\*base64/);
    });

    it("refuses a Free or Trial licence with telemetry off, accepts it with telemetry on, and an Enterprise one either way", () => {
      for (const type of ["Free", "Trial"] as const) {
        const key = licenseKey(type);
        assert.match(
          judgeLicense(key, "false", ctx()).refusals[0],
          new RegExp(`${type} licence requires telemetry.*diagnostics\\.reporting\\.enabled = true`),
        );
        assert.deepStrictEqual(judgeLicense(key, "true", ctx()), { refusals: [], warnings: [] });
        assert.ok(!judgeLicense(key, "false", ctx()).refusals[0].includes(key));
      }
      assert.deepStrictEqual(judgeLicense(licenseKey("Enterprise"), "false", ctx()), { refusals: [], warnings: [] });
    });

    it("only warns where CockroachDB would not refuse: after 24.3, before it, on a single node", () => {
      assert.deepStrictEqual(judgeLicense("", "true", ctx({ fromSeries: "23.2", targetSeries: "24.1" })), { refusals: [], warnings: [] });
      for (const c of [ctx({ fromSeries: "24.3", targetSeries: "25.1" }), ctx({ nodeCount: 1 })]) {
        const f = judgeLicense("", "true", c);
        assert.deepStrictEqual(f.refusals, []);
        assert.match(f.warnings[0], /throttles the cluster after its grace period/);
      }
    });

    it("warns when the licence expires before the roll and its bakes can end, or has expired", () => {
      const soon = judgeLicense(licenseKey("Trial", 3600), "true", ctx({ horizonMs: 2 * HOUR }));
      assert.deepStrictEqual(soon.refusals, []);
      assert.match(soon.warnings[0], /Trial licence expires at .* before this upgrade and its bakes can end .*throttles/);
      assert.deepStrictEqual(judgeLicense(licenseKey("Trial", 3 * 3600), "true", ctx({ horizonMs: 2 * HOUR })).warnings, []);
      assert.match(judgeLicense(licenseKey("Enterprise", -60), "true", ctx()).warnings[0], /Enterprise licence expired at .*; renew it$/);
    });

    it("reads type and expiry from the key (licenseccl's protobuf), and nothing from a non-key", () => {
      const before = Date.now();
      const r = readLicenseKey(licenseKey("Free", 100));
      assert.strictEqual(r.kind, "license");
      assert.strictEqual(r.kind === "license" && r.type, "Free");
      // Whole seconds in the key.
      assert.ok(r.kind === "license" && r.validUntilMs >= before + 99_000 && r.validUntilMs <= Date.now() + 100_000);
      assert.deepStrictEqual(readLicenseKey(""), { kind: "none" });
      assert.deepStrictEqual(readLicenseKey("xyz"), { kind: "invalid" });
    });
  });

  it("refuses invalid catalog objects, naming them and the remedy", () => {
    assert.deepStrictEqual(judgeInvalidObjects([]), { refusals: [], warnings: [] });
    const f = judgeInvalidObjects([{ id: 104, database_name: "app", schema_name: "public", obj_name: "orders", error: "bad FK" }]);
    assert.match(f.refusals[0], /1 invalid catalog object\(s\) \(app\.public\.orders \(id 104\): bad FK\).*repair or drop them/);
  });

  it("refuses nodes in decommissioning membership, naming them and both ways out", () => {
    assert.deepStrictEqual(judgeDecommissioning([]), { refusals: [], warnings: [] });
    const f = judgeDecommissioning([{ node_id: 4, membership: "decommissioning" }]);
    assert.match(f.refusals[0], /n4 are in decommissioning membership.*cockroach node decommission 4 .*cockroach node recommission 4/);
  });

  it("refuses paused schema-change jobs and warns about running ones; terminal ones are fine", () => {
    const f = judgeSchemaChangeJobs([
      { job_id: 1, status: "succeeded", description: "done" },
      { job_id: 2, status: "paused", description: "ALTER TABLE a" },
      { job_id: 3, status: "running", description: "CREATE INDEX i" },
      { job_id: 4, status: "canceled", description: "x" },
    ]);
    assert.strictEqual(f.refusals.length, 1);
    assert.match(f.refusals[0], /2 \(paused\): ALTER TABLE a.*RESUME JOB/);
    assert.match(f.warnings[0], /3 \(running\): CREATE INDEX i/);
  });

  it("refuses a withdrawn release as a target (check, diff and update share classifyMove), but not a move away from it", () => {
    assert.deepStrictEqual(
      WITHDRAWN_RELEASES.map((w) => w.tag),
      ["v22.1.19", "v22.2.8", "v23.1.0", "v24.2.1"],
    );
    assert.throws(() => classifyMove("v24.2.0", "v24.2.1", {}), /v24\.2\.1 was withdrawn by Cockroach Labs.*do not upgrade to it/);
    assert.throws(() => classifyMove("v22.2.10", "v23.1.0", {}), /v23\.1\.0 was withdrawn/);
    assert.strictEqual(classifyMove("v24.2.1", "v24.2.2", {}), "patch");
    assert.strictEqual(classifyMove("v22.2.10", "v23.1.1", {}), "major");
  });

  it("finalization hints RESET preserve_downgrade_option, never set an old value, before SET CLUSTER SETTING version", () => {
    const held = { setting: "cluster.preserve_downgrade_option", previous: "23.1", value: "23.1" };
    assert.match(
      finalizeHint(held, "23.2"),
      /run RESET CLUSTER SETTING cluster\.preserve_downgrade_option, then SET CLUSTER SETTING version = '23\.2'/,
    );
    const ours = { setting: "cluster.preserve_downgrade_option", previous: "", value: "23.1" };
    assert.match(finalizeHint(ours, "23.2"), /run RESET CLUSTER SETTING cluster\.preserve_downgrade_option and wait/);
    assert.match(
      finalizeHint(undefined, "24.1"),
      /RESET CLUSTER SETTING cluster\.preserve_downgrade_option \(CockroachDB refuses any version change while it is set\), then SET CLUSTER SETTING version = '24\.1'/,
    );
    const auto = { setting: "cluster.auto_upgrade.enabled", previous: "", value: "false" };
    assert.match(finalizeHint(auto, "24.1"), /run RESET CLUSTER SETTING cluster\.auto_upgrade\.enabled and wait/);
    for (const b of [held, ours]) assert.doesNotMatch(finalizeHint(b, "23.2"), /SET CLUSTER SETTING cluster\.preserve_downgrade_option =/);
  });
});
