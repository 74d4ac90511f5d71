/**
 * Which batch's guard look may begin beside the current bake's last sample
 * (rollout/clearance-ahead.ts nextKnown): only one known without reading the
 * cluster — the next part of a batch already proven, or a next batch of one
 * node; a locality batch is proven right before it, so its look waits.
 */
import * as assert from "assert";
import { nextKnown } from "../../provider/rollout/clearance-ahead";
import type { PlanBatch } from "../../provider/core/types";

const batch = (...nodes: string[]): PlanBatch => ({ nodes, bakeMs: 3_000 }) as unknown as PlanBatch;

describe("clearance ahead: the next batch known now", () => {
  it("the next part of the same proven batch", () => {
    const parts = [batch("n1"), batch("n2")];
    assert.deepStrictEqual(nextKnown(parts, 0, batch("n3"))?.nodes, ["n2"]);
  });

  it("after the last part: the next batch when it is one node", () => {
    assert.deepStrictEqual(nextKnown([batch("n1")], 0, batch("n2"))?.nodes, ["n2"]);
  });

  it("none when the next batch has several nodes (proven only right before it) or there is none", () => {
    assert.strictEqual(nextKnown([batch("n1")], 0, batch("n2", "n3")), undefined);
    assert.strictEqual(nextKnown([batch("n1")], 0, undefined), undefined);
  });
});
