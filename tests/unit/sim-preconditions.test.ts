/**
 * The simulator's finalization refusals, in-process (sim/fabric): a version
 * bump while cluster.preserve_downgrade_option is set (CR
 * clusterversion/setting.go validateVersionUpgrade), an old value written back
 * to the option, and the upgrade manager's preconditions: invalid catalog
 * objects (FirstUpgradeFromReleasePrecondition) and the v24.3 licence check
 * (checkForPostUpgradeThrottlePreCond). Also the licence key format.
 */
import * as assert from "assert";
import { makeTiming } from "../../sim/common/timing";
import { parseSeries } from "../../sim/common/versions";
import { decodeLicense, encodeLicense } from "../../sim/fabric/license";
import { JoinRequest } from "../../sim/fabric/protocol";
import { FabricService } from "../../sim/fabric/service";
import { licenseKey } from "../support/license-keys";

const NO_FAULTS = { slowCatchUp: false, underreplicationStuck: false, drainTimeout: false };

function joinReq(i: number, tag: string): JoinRequest {
  return {
    storeId: `store-${i}`,
    binaryTag: tag,
    addr: `127.0.0.${i}:26257`,
    sqlAddr: `127.0.0.${i}:26257`,
    httpAddr: `127.0.0.${i}:8080`,
    locality: "",
    clusterName: "",
    pid: 1000 + i,
    args: [],
    storePath: `/s${i}`,
    faults: NO_FAULTS,
  };
}

/** A cluster at `version` whose `nodes` nodes all run `tag` and are live. */
function cluster(version: string, tag: string, nodes = 3): FabricService {
  const f = new FabricService({ timing: makeTiming({ timeScale: 0.01 }), initialVersion: parseSeries(version) });
  for (let i = 1; i <= nodes; i++) {
    f.join(joinReq(i, tag));
    f.heartbeat({ nodeId: i });
  }
  return f;
}

const set = (f: FabricService, name: string, value: string | null, tag: string): Promise<void> =>
  f.setSetting({ name, value, gatewayTag: tag });

describe("sim: finalization refusals", () => {
  it("refuses any version bump while preserve_downgrade_option is set, and finalizes once it is reset", async () => {
    const f = cluster("23.1", "v23.2.5");
    await set(f, "cluster.preserve_downgrade_option", "23.1", "v23.2.5");
    await assert.rejects(set(f, "version", "23.2", "v23.2.5"), {
      message: "cannot upgrade to 23.2: cluster.preserve_downgrade_option is set to 23.1",
      code: "XXUUU",
    });
    assert.strictEqual(f.version.show(), "23.1");
    await set(f, "cluster.preserve_downgrade_option", null, "v23.2.5");
    await set(f, "version", "23.2", "v23.2.5");
    assert.strictEqual(f.version.show(), "23.2");
    await assert.rejects(set(f, "cluster.preserve_downgrade_option", "23.1", "v23.2.5"), {
      message: "cannot set cluster.preserve_downgrade_option to 23.1 (cluster version is 23.2)",
    });
  });

  it("refuses the first upgrade of a release while crdb_internal.invalid_objects has rows", async () => {
    const f = cluster("23.2", "v24.1.2");
    f.inject({ invalidObjects: [{ id: 104, databaseName: "defaultdb", schemaName: "public", objName: "t", error: "broken" }] });
    assert.deepStrictEqual(f.virtualTable({ name: "crdb_internal.invalid_objects", gatewayNodeId: 1 }).rows, [
      [104, "defaultdb", "public", "t", "broken"],
    ]);
    await assert.rejects(set(f, "version", "24.1", "v24.1.2"), {
      message: 'verifying precondition for version 23.2-upgrading-to-24.1-step-002: "".crdb_internal.invalid_objects is not empty',
    });
    assert.strictEqual(f.version.show(), "23.2");
    f.inject({ clear: true });
    await set(f, "version", "24.1", "v24.1.2");
    assert.strictEqual(f.version.show(), "24.1");
  });

  it("refuses to finalize 24.3 without a licence, and with telemetry off under a Free licence", async () => {
    const f = cluster("24.1", "v24.3.1");
    await assert.rejects(
      set(f, "version", "24.3", "v24.3.1"),
      /^SqlErrorLike: verifying precondition for version 24\.1-upgrading-to-24\.3-step-\d+: upgrade blocked: no license installed$/,
    );
    await set(f, "enterprise.license", licenseKey("Free"), "v24.3.1");
    await set(f, "diagnostics.reporting.enabled", "false", "v24.3.1");
    await assert.rejects(
      set(f, "version", "24.3", "v24.3.1"),
      /upgrade blocked: the installed license requires telemetry, but it is currently disabled\. Enable telemetry by setting diagnostics\.reporting\.enabled to true\.$/,
    );
    assert.strictEqual(f.version.show(), "24.1");
    await set(f, "diagnostics.reporting.enabled", "true", "v24.3.1");
    await set(f, "version", "24.3", "v24.3.1");
    assert.strictEqual(f.version.show(), "24.3");
  });

  it("does not enforce the licence on a single-node cluster, nor on a move that does not cross 24.3", async () => {
    const single = cluster("24.1", "v24.3.1", 1);
    await set(single, "version", "24.3", "v24.3.1");
    assert.strictEqual(single.version.show(), "24.3");
    const later = cluster("24.3", "v25.1.0");
    await set(later, "version", "25.1", "v25.1.0");
    assert.strictEqual(later.version.show(), "25.1");
  });

  it("refuses a licence key that does not decode, as licenseccl.Decode does", async () => {
    const f = cluster("24.1", "v24.1.2");
    await assert.rejects(set(f, "enterprise.license", "not-a-key", "v24.1.2"), { message: "invalid license string" });
    await assert.rejects(set(f, "enterprise.license", "crl-0-%%%", "v24.1.2"), /^SqlErrorLike: invalid license string/);
  });

  it("encodes and decodes the License protobuf (fields 2..5)", () => {
    const l = { validUntilUnixSec: 1_900_000_000, type: "Trial" as const, organizationName: "Acme", usage: 1 };
    const key = encodeLicense(l);
    assert.match(key, /^crl-0-[A-Za-z0-9+/]+$/);
    assert.deepStrictEqual(decodeLicense(key), l);
    assert.strictEqual(decodeLicense(""), undefined);
  });

  it("shows injected jobs and decommissioning members, and undoes them on clear", () => {
    const f = cluster("24.1", "v24.1.2");
    f.inject({ decommissioning: [3], jobs: [{ jobId: 7, jobType: "SCHEMA CHANGE", description: "ALTER TABLE t", status: "paused" }] });
    const liveness = f.virtualTable({ name: "crdb_internal.gossip_liveness", gatewayNodeId: 1 }).rows;
    assert.deepStrictEqual(
      liveness.map((r) => r[5]),
      ["active", "active", "decommissioning"],
    );
    const jobs = f.virtualTable({ name: "crdb_internal.jobs", gatewayNodeId: 1 }).rows;
    assert.deepStrictEqual(
      jobs.map((r) => [r[0], r[1], r[5]]),
      [[7, "SCHEMA CHANGE", "paused"]],
    );
    f.inject({ clear: true });
    assert.deepStrictEqual(
      f.virtualTable({ name: "crdb_internal.gossip_liveness", gatewayNodeId: 1 }).rows.map((r) => r[5]),
      ["active", "active", "active"],
    );
    assert.deepStrictEqual(f.virtualTable({ name: "crdb_internal.jobs", gatewayNodeId: 1 }).rows, []);
  });
});
