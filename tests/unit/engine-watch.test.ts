/** RunGuard (engine-watch.ts): once the engine is gone, an update stops at a safe boundary, never mid-action. */
import * as assert from "assert";
import { RunGuard } from "../../provider/engine/engine-watch";

const at = { node: "n2", index: 2, total: 3 };

describe("provider/engine-watch: RunGuard", () => {
  it("aborts at once during a wait (bake, gate)", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "phase-start", phase: "bake", at });
    g.engineGone("the engine is gone");
    assert.strictEqual(g.signal.aborted, true);
    assert.match(String(g.signal.reason), /the engine is gone: stopped at a safe boundary/);
  });

  it("lets a drain, stop, swap or start in progress finish, then aborts", () => {
    const g = new RunGuard(() => undefined);
    g.observe({ type: "phase-start", phase: "stop", at });
    g.engineGone("the engine is gone");
    assert.strictEqual(g.signal.aborted, false, "not in the middle of stopping a node");
    g.observe({ type: "phase-end", phase: "stop", at, ok: true, durationMs: 5 });
    assert.strictEqual(g.signal.aborted, true);
  });

  it("waits for every member of a batch acting in parallel", () => {
    const g = new RunGuard(() => undefined);
    const other = { node: "n3", index: 3, total: 3 };
    g.observe({ type: "phase-start", phase: "start", at });
    g.observe({ type: "phase-start", phase: "start", at: other });
    g.engineGone("gone");
    g.observe({ type: "phase-end", phase: "start", at, ok: true, durationMs: 5 });
    assert.strictEqual(g.signal.aborted, false);
    g.observe({ type: "phase-end", phase: "start", at: other, ok: false, durationMs: 5 });
    assert.strictEqual(g.signal.aborted, true);
  });

  it("never aborts while the engine is there, and reports its end", () => {
    let done = 0;
    const g = new RunGuard(() => (done += 1));
    g.observe({ type: "phase-start", phase: "drain", at });
    g.observe({ type: "phase-end", phase: "drain", at, ok: true, durationMs: 5 });
    assert.strictEqual(g.signal.aborted, false);
    g.done();
    assert.strictEqual(done, 1);
  });
});
