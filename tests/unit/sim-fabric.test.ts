/**
 * The cluster fabric in-process (sim/fabric/service): joins and node IDs,
 * liveness expiry, the auto-upgrade decision and its log messages (CR
 * `pkg/server/auto_upgrade.go`), manual finalization through transition
 * strings, and setting validation (reference §5). Time scale 0.01 keeps
 * every wait in milliseconds.
 */
import * as assert from "assert";
import { makeTiming } from "../../sim/common/timing";
import { parseSeries } from "../../sim/common/versions";
import { JoinRequest } from "../../sim/fabric/protocol";
import { FabricService } from "../../sim/fabric/service";

const NO_FAULTS = { slowCatchUp: false, underreplicationStuck: false, drainTimeout: false };

function joinReq(i: number, tag: string, nodeId?: number): JoinRequest {
  return {
    storeId: `store-${i}`,
    nodeId,
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

function fabric(version: string): FabricService {
  return new FabricService({ timing: makeTiming({ timeScale: 0.01 }), initialVersion: parseSeries(version) });
}

function cluster(version: string, tag: string): FabricService {
  const f = fabric(version);
  for (let i = 1; i <= 3; i++) f.join(joinReq(i, tag));
  return f;
}

/** Restarts node i on `tag` (its ID kept), as after a binary swap. */
function restart(f: FabricService, i: number, tag: string): void {
  f.leave({ nodeId: i });
  f.join(joinReq(i, tag, i));
}

describe("sim/fabric/service", () => {
  it("assigns node IDs in order of first start and keeps them on restart", () => {
    const f = fabric("23.1");
    assert.deepStrictEqual(
      [1, 2, 3].map((i) => f.join(joinReq(i, "v23.1.11")).nodeId),
      [1, 2, 3],
    );
    const again = f.join(joinReq(2, "v23.1.12", 2));
    assert.deepStrictEqual([again.nodeId, again.status], [2, "restarted pre-existing node"]);
  });

  it("refuses a binary older than the cluster version with the RPC version message", () => {
    const f = cluster("23.2", "v23.2.5");
    assert.throws(() => f.join(joinReq(4, "v23.1.11")), /^Error: cluster requires at least version 23\.2, but peer has version 23\.1$/);
  });

  it("reports a node not live once its liveness expires", async () => {
    const f = cluster("23.1", "v23.1.11");
    f.leave({ nodeId: 3 });
    await new Promise((r) => setTimeout(r, 120)); // past the TTL: 9s * 0.01
    f.heartbeat({ nodeId: 1 });
    f.heartbeat({ nodeId: 2 });
    assert.deepStrictEqual(
      f.nodes().map((n) => n.live),
      [true, true, false],
    );
  });

  it("says the cluster is already at the newest version when every node runs the cluster's series", () => {
    const f = cluster("23.1", "v23.1.11");
    assert.deepStrictEqual(f.upgradeStatus({ nodeId: 1 }), {
      kind: "completed",
      message: "no need to upgrade, cluster already at the newest version",
    });
  });

  it("waits while binaries are mixed, naming both versions", () => {
    const f = cluster("23.1", "v23.1.11");
    restart(f, 1, "v23.2.5");
    assert.deepStrictEqual(f.upgradeStatus({ nodeId: 1 }), {
      kind: "mixed",
      message: "failed attempt to upgrade cluster version: not all nodes are running the latest version yet (saw 23.2 and 23.1)",
    });
  });

  it("is blocked by preserve_downgrade_option set to the current version, and allowed once it is reset", async () => {
    const f = cluster("23.1", "v23.1.11");
    await f.setSetting({ name: "cluster.preserve_downgrade_option", value: "23.1", gatewayTag: "v23.1.11" });
    for (const i of [1, 2, 3]) restart(f, i, "v23.2.5");
    assert.deepStrictEqual(f.upgradeStatus({ nodeId: 2 }), {
      kind: "preserve",
      message: "auto upgrade is disabled for current version (preserve_downgrade_option): 23.1",
    });
    await f.setSetting({ name: "cluster.preserve_downgrade_option", value: null, gatewayTag: "v23.2.5" });
    assert.strictEqual(f.upgradeStatus({ nodeId: 2 }).kind, "allowed");
  });

  it("is blocked by cluster.auto_upgrade.enabled = false", async () => {
    const f = cluster("23.2", "v23.2.5");
    await f.setSetting({ name: "cluster.auto_upgrade.enabled", value: "false", gatewayTag: "v23.2.5" });
    for (const i of [1, 2, 3]) restart(f, i, "v24.1.2");
    assert.deepStrictEqual(f.upgradeStatus({ nodeId: 1 }), {
      kind: "disabled",
      message: "auto upgrade is disabled by (cluster.auto_upgrade.enabled)",
    });
  });

  it("is blocked by a node that is not live", async () => {
    const f = cluster("23.1", "v23.1.11");
    for (const i of [1, 2, 3]) restart(f, i, "v23.2.5");
    f.leave({ nodeId: 3 });
    await new Promise((r) => setTimeout(r, 120));
    f.heartbeat({ nodeId: 1 });
    f.heartbeat({ nodeId: 2 });
    assert.deepStrictEqual(f.upgradeStatus({ nodeId: 1 }), {
      kind: "blocked",
      message: "failed attempt to upgrade cluster version, error: node 3 not running (UNAVAILABLE), cannot determine version",
    });
  });

  it("finalizes manually through the transition strings and then shows the new version", async () => {
    const f = cluster("23.2", "v23.2.5");
    for (const i of [1, 2, 3]) restart(f, i, "v24.1.2");
    const seen = new Set<string>();
    const watcher = setInterval(() => seen.add(f.showSetting({ name: "version", gatewayTag: "v24.1.2" }).value), 2);
    await f.setSetting({ name: "version", value: "24.1", gatewayTag: "v24.1.2" });
    clearInterval(watcher);
    assert.strictEqual(f.showSetting({ name: "version", gatewayTag: "v24.1.2" }).value, "24.1");
    assert.ok(
      [...seen].some((v) => /^23\.2-upgrading-to-24\.1-step-\d{3}$/.test(v)),
      `saw ${[...seen]}`,
    );
    assert.ok(seen.has("24.1-upgrading-final-step"), `saw ${[...seen]}`);
  });

  it("rejects manual finalization to a version a node's binary cannot run, a skipped series, or a downgrade", async () => {
    const f = cluster("23.1", "v23.1.11");
    restart(f, 1, "v23.2.5");
    await assert.rejects(
      f.setSetting({ name: "version", value: "23.2", gatewayTag: "v23.2.5" }),
      /^SqlErrorLike: cannot upgrade to 23\.2: node n2 running 23\.1$/,
    );
    await assert.rejects(
      f.setSetting({ name: "version", value: "24.1", gatewayTag: "v23.2.5" }),
      /cannot upgrade directly from 23\.1 to 24\.1/,
    );
    await assert.rejects(
      f.setSetting({ name: "version", value: "22.2", gatewayTag: "v23.2.5" }),
      /versions cannot be downgraded \(attempting to downgrade from 23\.1 to 22\.2\)/,
    );
  });

  it("validates preserve_downgrade_option against the cluster version and shows '' when unset", async () => {
    const f = cluster("23.1", "v23.1.11");
    assert.strictEqual(f.showSetting({ name: "cluster.preserve_downgrade_option", gatewayTag: "v23.1.11" }).value, "");
    await assert.rejects(
      f.setSetting({ name: "cluster.preserve_downgrade_option", value: "23.2", gatewayTag: "v23.1.11" }),
      (e: Error & { code?: string }) => e.message === "cannot set cluster.preserve_downgrade_option to 23.2 (cluster version is 23.1)",
    );
  });

  it("rejects unknown settings with SQLSTATE 42704 for the node to translate", () => {
    assert.throws(
      () => fabric("23.1").showSetting({ name: "no.such.setting", gatewayTag: "v23.1.11" }),
      (e: Error & { code?: string }) => e.code === "42704",
    );
  });
});
