/**
 * Single-node clusters: the refusal without strategy.allowDowntime in check,
 * diff (preview) and pre-flight, the preview's downtime line with it, the
 * structural under-replication of one node not counted against it, and the
 * downtime read from the recorded phases.
 */
import * as assert from "assert";
import { checkInputs } from "../../provider/spec/parse";
import { diffResource } from "../../provider/plan/diff";
import { preflightProblems } from "../../provider/rollout/gates";
import type { NodeObservation, Observation } from "../../provider/cluster/observe";
import { downtimeOf } from "../../provider/spec/single-node";
import { verifySingleNodeRoll } from "../../provider/rollout/single-node-roll";
import type { ClusterVersionInputs, ClusterVersionOutputs, PhaseRecord } from "../../provider/core/types";
import { inputs } from "./pure-fixtures";

const one = (version: string, strategy?: Record<string, unknown>): ClusterVersionInputs => inputs(1, version, strategy ? { strategy } : {});
function recorded(news: ClusterVersionInputs): ClusterVersionOutputs {
  return {
    ...news,
    nodeStatuses: [{ name: "n1", nodeId: 1, version: news.version, state: "running" }],
    clusterVersion: "23.1",
    finalized: true,
    history: [],
  };
}

function observation(count: number, under: number, unavail = 0): Observation {
  const nodes: NodeObservation[] = Array.from({ length: count }, (_, i) => ({
    name: `n${i + 1}`,
    nodeId: i + 1,
    build: "v23.1.11",
    binaryBuild: "v23.1.11",
    process: "running",
    live: true,
    draining: false,
    membership: "active",
    ready: true,
    errors: [],
  }));
  return {
    nodes,
    rows: [],
    unlisted: [],
    cluster: { nodes, clusterVersion: "23.1", underReplicatedRanges: under, unavailableRanges: unavail, unlistedNodeIds: [] },
  };
}

describe("provider/single-node", () => {
  it("check refuses a version change of a one-node cluster without allowDowntime, at strategy.allowDowntime", () => {
    const { failures } = checkInputs(one("v23.1.11"), one("v23.1.12"));
    assert.deepStrictEqual(
      failures.map((f) => f.property),
      ["strategy.allowDowntime"],
    );
    assert.match(
      failures[0].reason,
      /^single-node cluster: upgrading n1, its only node, takes the cluster down .*set strategy\.allowDowntime: true/,
    );
  });

  it("check accepts it with allowDowntime, and accepts any one-node cluster whose version does not change", () => {
    assert.deepStrictEqual(checkInputs(one("v23.1.11"), one("v23.1.12", { allowDowntime: true })).failures, []);
    assert.deepStrictEqual(checkInputs(one("v23.1.11"), one("v23.1.11")).failures, []);
    assert.deepStrictEqual(
      checkInputs({}, one("v23.1.12")).failures,
      [],
      "create: pre-flight decides (the running version is not known yet)",
    );
    assert.deepStrictEqual(checkInputs(inputs(3, "v23.1.11"), inputs(3, "v23.1.12")).failures, []);
  });

  it("diff refuses the preview without allowDowntime, and previews the downtime with it", () => {
    const refused = diffResource(recorded(one("v23.1.11")), one("v23.1.12"));
    assert.strictEqual(refused.refusal?.property, "strategy.allowDowntime");
    assert.match(refused.lines.join("\n"), /refused: single-node cluster/);
    const allowed = diffResource(recorded(one("v23.1.11")), one("v23.1.12", { allowDowntime: true }));
    assert.strictEqual(allowed.refusal, undefined);
    assert.match(
      allowed.lines.join("\n"),
      /single-node cluster: the upgrade means downtime while n1 restarts \(strategy\.allowDowntime is true\)/,
    );
    assert.strictEqual(diffResource(recorded(one("v23.1.11")), one("v23.1.11")).changes, false, "nothing to roll: no refusal");
  });

  it("pre-flight refuses one node without allowDowntime, naming the option; with it, under-replication (structural on one node) is not a problem", () => {
    const ctx = { target: "v23.1.12", resuming: false };
    assert.deepStrictEqual(
      preflightProblems(observation(1, 64), ctx).map((p) => p.slice(0, 21)),
      ["single-node cluster: "],
      "the single-node refusal alone, not the 64 under-replicated ranges",
    );
    assert.deepStrictEqual(preflightProblems(observation(1, 64), { ...ctx, allowDowntime: true }), []);
    assert.deepStrictEqual(preflightProblems(observation(1, 0, 2), { ...ctx, allowDowntime: true }), ["2 unavailable ranges"]);
    assert.deepStrictEqual(preflightProblems(observation(3, 5), { ...ctx, allowDowntime: true }), ["5 under-replicated ranges"]);
  });

  it("measures the downtime from the drain's start to the node ready again", () => {
    const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const phases: PhaseRecord[] = [
      { phase: "drain", startedAt: at(10), durationMs: 1000, ok: true },
      { phase: "stop", startedAt: at(11), durationMs: 500, ok: true },
      { phase: "swap-binary", startedAt: at(12), durationMs: 100, ok: true },
      { phase: "start", startedAt: at(12), durationMs: 900, ok: true },
      { phase: "await-node", startedAt: at(13), durationMs: 2000, ok: true },
      { phase: "await-cluster", startedAt: at(15), durationMs: 300, ok: true },
    ];
    assert.strictEqual(downtimeOf(phases), 5000);
    assert.strictEqual(downtimeOf(phases.slice(0, 3)), 0, "not ready again: nothing to report");
  });

  it("checks the cluster version after the restart: unchanged passes, changed or unreadable fails", async () => {
    const phases: PhaseRecord[] = [
      { phase: "drain", startedAt: "2026-01-01T00:00:00.000Z", durationMs: 10, ok: true },
      { phase: "await-node", startedAt: "2026-01-01T00:00:01.000Z", durationMs: 500, ok: true },
    ];
    const ok = await verifySingleNodeRoll({ showSetting: async () => "23.1" }, "n1", phases, "23.1");
    assert.strictEqual(ok.downtimeMs, 1500);
    assert.match(ok.message, /^single-node cluster: n1 was down for 1\.5s \(drain to ready\); cluster version 23\.1$/);
    await assert.rejects(
      verifySingleNodeRoll({ showSetting: async () => "23.2" }, "n1", phases, "23.1"),
      /must not change before finalization/,
    );
    await assert.rejects(
      verifySingleNodeRoll({ showSetting: async () => Promise.reject(new Error("connection refused")) }, "n1", phases, "23.1"),
      /cluster version cannot be read: connection refused/,
    );
  });
});
