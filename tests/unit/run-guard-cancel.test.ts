/** RunGuard.cancel (engine-watch.ts): the engine's Cancel stops an update at a node boundary, never mid-node or mid-rollback. */
import * as assert from "assert";
import { RunGuard } from "../../provider/engine/engine-watch";

const n2 = { node: "n2", index: 2, total: 3 };
const end = (phase: "drain" | "bake" | "start", at = n2) => ({ type: "phase-end" as const, phase, at, ok: true, durationMs: 1 });

describe("provider/engine/engine-watch: RunGuard.cancel", () => {
  it("before any node: aborts at once", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "phase-start", phase: "stage-release" });
    g.cancel("Cancel");
    assert.strictEqual(g.signal.aborted, true);
    assert.match(String(g.signal.reason), /Cancel: stopped at a node boundary/);
  });

  it("during a node's bake: waits for the bake's end (the node's last gate)", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "phase-start", phase: "drain", at: n2 });
    g.observe(end("drain"));
    g.observe({ type: "phase-start", phase: "bake", at: n2 });
    g.cancel("Cancel");
    assert.strictEqual(g.signal.aborted, false, "the bake of the node in hand is not cut short");
    g.observe(end("bake"));
    assert.strictEqual(g.signal.aborted, true);
  });

  it("during a rollback: waits for its end", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "rollback-start", nodes: ["n2"], cause: "x" });
    g.cancel("Cancel");
    g.observe({ type: "phase-start", phase: "start", at: n2 });
    g.observe(end("start"));
    assert.strictEqual(g.signal.aborted, false);
    g.observe({ type: "rollback-end", ok: true });
    assert.strictEqual(g.signal.aborted, false, "n2 is still in hand until the run ends");
    g.observe({ type: "done", outcome: "rolled-back", durationMs: 1 });
    assert.strictEqual(g.signal.aborted, true);
  });

  it("the engine gone still aborts at the next safe boundary, without waiting for the node", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "phase-start", phase: "drain", at: n2 });
    g.observe(end("drain"));
    g.observe({ type: "phase-start", phase: "bake", at: n2 });
    g.engineGone("gone");
    assert.strictEqual(g.signal.aborted, true);
    assert.match(String(g.signal.reason), /gone: stopped at a safe boundary/);
  });
});
