/**
 * diff's pending finalization (issue 18): a major upgrade whose roll is done
 * and whose finalization is not is a difference under auto/afterBake (so
 * `pulumi up` alone finishes it), and is shown, not acted on, under manual.
 */
import * as assert from "assert";
import { diffResource, pendingFinalization } from "../../provider/plan/diff";
import { isFinalized } from "../../provider/engine/outputs";
import type { ClusterVersionInputs, ClusterVersionOutputs, NodeStatus } from "../../provider/core/types";
import { UNKNOWN } from "../../provider/core/types";
import { inputs } from "./pure-fixtures";

/** Outputs after a roll to `news.version` with the cluster version left at `clusterVersion`. */
function rolled(news: ClusterVersionInputs, clusterVersion: string, extra: Partial<ClusterVersionOutputs> = {}): ClusterVersionOutputs {
  const statuses: NodeStatus[] = news.nodes.map((n, i) => ({ name: n.name, nodeId: i + 1, version: news.version, state: "running" }));
  const finalized = isFinalized(clusterVersion, news.version);
  return { ...news, nodeStatuses: statuses, clusterVersion, finalized, history: [], ...extra };
}

function withFinalize(news: ClusterVersionInputs, finalize: string): ClusterVersionInputs {
  return { ...news, strategy: { ...(news.strategy ?? {}), finalize } } as ClusterVersionInputs;
}

describe("provider/diff: pending finalization", () => {
  const target = inputs(3, "v23.2.5");

  for (const finalize of ["auto", "afterBake:12s"]) {
    it(`is a difference under finalize ${finalize}, and says up finishes it`, () => {
      const news = withFinalize(target, finalize);
      const d = diffResource(rolled(news, "23.1"), news);
      assert.strictEqual(d.changes, true);
      assert.deepStrictEqual(d.replaces, []);
      assert.strictEqual(d.refusal, undefined);
      const text = d.lines.join("\n");
      assert.match(text, /finalization of 23\.2 is pending \(cluster version 23\.1/);
      assert.match(text, /pulumi up finishes it/);
      if (finalize.startsWith("afterBake")) assert.match(text, /holds the cluster gate for 12s/);
    });
  }

  it("is shown, with the exact statement, but is no difference under manual", () => {
    const news = withFinalize(target, "manual");
    const block = { setting: "cluster.preserve_downgrade_option", previous: "", value: "23.1" };
    const d = diffResource(rolled(news, "23.1", { finalizationBlock: block, finalizeHint: undefined }), news);
    assert.strictEqual(d.changes, false);
    const text = d.lines.join("\n");
    assert.match(text, /finalization of 23\.2 is pending/);
    assert.match(text, /strategy\.finalize is manual/);
    assert.match(text, /RESET CLUSTER SETTING cluster\.preserve_downgrade_option/);
  });

  it("uses the stored hint under manual when there is one", () => {
    const news = withFinalize(target, "manual");
    const d = diffResource(rolled(news, "23.1", { finalizeHint: "run THIS" }), news);
    assert.strictEqual(d.changes, false);
    assert.match(d.lines.join("\n"), /leaves it: run THIS/);
  });

  it("counts a cluster version in transition as pending", () => {
    const news = withFinalize(target, "auto");
    assert.ok(pendingFinalization(rolled(news, "23.1-8"), news));
  });

  it("is nothing once finalized, by the provider or by hand", () => {
    const news = withFinalize(target, "auto");
    assert.deepStrictEqual(diffResource(rolled(news, "23.2"), news), { changes: false, replaces: [], lines: [] });
  });

  it("is nothing while a node is not yet on the target (the roll itself is the difference)", () => {
    const news = withFinalize(target, "auto");
    const olds = rolled(news, "23.1");
    const lagging = { ...olds, nodeStatuses: olds.nodeStatuses.map((s, i) => (i === 2 ? { ...s, version: "v23.1.11" } : s)) };
    assert.strictEqual(pendingFinalization(lagging, news), undefined);
    assert.strictEqual(diffResource(lagging, news).changes, true);
  });

  it("is nothing when the cluster version is unknown, or the inputs are not known yet", () => {
    const news = withFinalize(target, "auto");
    const { clusterVersion: _cv, ...unread } = rolled(news, "23.1");
    assert.strictEqual(pendingFinalization(unread, news), undefined);
    assert.strictEqual(
      pendingFinalization(rolled(news, "23.1"), { ...news, strategy: UNKNOWN } as unknown as ClusterVersionInputs),
      undefined,
    );
  });

  it("adds the pending lines to a plan when inputs changed too", () => {
    const news = withFinalize(target, "auto");
    const olds = rolled(withFinalize(target, "manual"), "23.1");
    const d = diffResource(olds, news);
    assert.strictEqual(d.changes, true);
    assert.match(d.lines.join("\n"), /inputs changed: strategy/);
    assert.match(d.lines.join("\n"), /pulumi up finishes it/);
  });
});

describe("provider/outputs: finalized follows the cluster", () => {
  it("is true for a cluster finalized past the target (finalized by hand, then version reverted)", () => {
    assert.strictEqual(isFinalized("23.2", "v23.1.11"), true);
  });
  it("is false below the target's series and in transition", () => {
    assert.strictEqual(isFinalized("23.1", "v23.2.5"), false);
    assert.strictEqual(isFinalized("23.1-8", "v23.2.5"), false);
    assert.strictEqual(isFinalized(undefined, "v23.2.5"), false);
  });
});
