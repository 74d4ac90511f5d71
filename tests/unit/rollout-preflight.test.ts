/**
 * The pre-flight gate as a judgement over an observation: every reason that
 * must keep the provider's hands off the cluster is named, with the node,
 * and missing data refuses rather than passes.
 */
import * as assert from "assert";
import { preflightProblems } from "../../provider/rollout/gates";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import type { GossipRow } from "../../provider/cluster/reader";

function node(name: string, id: number, extra: Partial<NodeObservation> = {}): NodeObservation {
  return {
    name,
    nodeId: id,
    build: "v23.1.11",
    binaryBuild: "v23.1.11",
    process: "running",
    live: true,
    draining: false,
    membership: "active",
    ready: true,
    errors: [],
    ...extra,
  };
}

function obs(
  nodes: NodeObservation[],
  extra: { under?: number; unavail?: number; clusterVersion?: string; unlisted?: GossipRow[]; sqlError?: string } = {},
): Observation {
  return {
    nodes,
    rows: [],
    unlisted: extra.unlisted ?? [],
    sqlError: extra.sqlError,
    cluster: {
      nodes,
      clusterVersion: extra.clusterVersion ?? "23.1",
      underReplicatedRanges: "under" in extra ? extra.under : 0,
      unavailableRanges: "unavail" in extra ? extra.unavail : 0,
      unlistedNodeIds: (extra.unlisted ?? []).map((r) => r.nodeId),
    },
  };
}

const healthy = () => [node("n1", 1), node("n2", 2), node("n3", 3)];
const ctx = { target: "v23.1.12", resuming: false };

describe("provider/gates: pre-flight", () => {
  it("passes a healthy, uniform, finalized cluster whose members are all listed", () => {
    assert.deepStrictEqual(preflightProblems(obs(healthy()), ctx), []);
  });

  it("refuses a node that is down, naming it", () => {
    const nodes = healthy();
    nodes[1] = node("n2", 2, { process: "stopped", live: false, build: undefined });
    assert.deepStrictEqual(preflightProblems(obs(nodes), ctx), ["node n2 is not running (stopped)"]);
  });

  it("refuses a running node whose liveness expired, a draining node and a decommissioning node", () => {
    const p = preflightProblems(
      obs([node("n1", 1, { live: false }), node("n2", 2, { draining: true }), node("n3", 3, { membership: "decommissioning" })]),
      ctx,
    );
    assert.deepStrictEqual(p, ["node n1 is not live", "node n2 is draining", "node n3 is decommissioning"]);
  });

  it("refuses under-replicated and unavailable ranges", () => {
    assert.deepStrictEqual(preflightProblems(obs(healthy(), { under: 4, unavail: 1 }), ctx), [
      "1 unavailable ranges",
      "4 under-replicated ranges",
    ]);
  });

  it("refuses when range health is unknown (a metric is missing): never pass on absent data", () => {
    assert.match(preflightProblems(obs(healthy(), { under: undefined }), ctx).join(), /range health unknown/);
  });

  it("refuses mixed builds, unless resuming a roll to this very target", () => {
    const mixed = [node("n1", 1, { build: "v23.1.12", binaryBuild: "v23.1.12" }), node("n2", 2), node("n3", 3)];
    assert.match(preflightProblems(obs(mixed), ctx).join(), /nodes run different builds \(v23\.1\.11, v23\.1\.12\)/);
    assert.deepStrictEqual(preflightProblems(obs(mixed), { ...ctx, resuming: true }), []);
    const foreign = [node("n1", 1, { build: "v23.1.10" }), node("n2", 2), node("n3", 3)];
    assert.match(preflightProblems(obs(foreign), { ...ctx, resuming: true }).join(), /different builds/);
  });

  it("refuses while a previous upgrade is still finalizing", () => {
    assert.match(preflightProblems(obs(healthy(), { clusterVersion: "23.1-8" }), ctx).join(), /still finalizing/);
    assert.match(preflightProblems(obs(healthy(), { clusterVersion: "23.2-upgrading-to-24.1-step-008" }), ctx).join(), /still finalizing/);
  });

  it("refuses an active member that is not listed, and a listed node the cluster does not know", () => {
    const extra: GossipRow = {
      nodeId: 4,
      address: "127.0.20.14:26257",
      sqlAddress: "127.0.20.14:26257",
      build: "v23.1.11",
      locality: "",
      isAvailable: true,
      isLive: true,
      draining: false,
      membership: "active",
    };
    const nodes = [...healthy(), node("n9", 0, { nodeId: undefined })];
    const p = preflightProblems(obs(nodes, { unlisted: [extra] }), ctx);
    assert.deepStrictEqual(p, [
      "node n9 is unknown to the cluster (no member with its sqlAddr)",
      "node 4 (127.0.20.14:26257) is an active member of the cluster but not listed in nodes",
    ]);
  });

  it("refuses when the cluster cannot be read over SQL", () => {
    assert.match(
      preflightProblems(obs(healthy(), { sqlError: "no SQL gateway answered" }), ctx).join(),
      /cannot read the cluster over SQL/,
    );
  });
});
