/** Status lines and the Cancel summary (plugin/status.ts), the request's timeout and the engine address (plugin edge). */
import * as assert from "assert";
import { cancelSummary, statusLine } from "../../plugin/status";
import { timeoutMsOf } from "../../plugin/request-context";
import { engineAddressFrom } from "../../plugin/engine-log";

const at = { node: "n2", index: 2, total: 3 };

describe("plugin/status", () => {
  it("says what the run waits for, masking the inputs' secrets", () => {
    assert.strictEqual(statusLine({ type: "phase-start", phase: "drain", at }), "n2 drain (node 2/3)");
    const sample = { at: "t", ok: false, detail: "live 2/3, n3 unreachable with hunter2" };
    assert.strictEqual(
      statusLine({ type: "gate-sample", phase: "bake", at, sample }, ["hunter2"]),
      "n2 bake: waiting for the gate: live 2/3, n3 unreachable with redacted",
    );
    assert.strictEqual(statusLine({ type: "note", message: "x" }), undefined);
  });

  it("after a Cancel, names the nodes on the target and the ones remaining", () => {
    const s = cancelSummary("v23.1.12", [
      { name: "n1", version: "v23.1.12", state: "running" },
      { name: "n2", version: "v23.1.12", state: "running" },
      { name: "n3", version: "v23.1.11", state: "running" },
    ]);
    assert.strictEqual(
      s,
      "cancelled (the engine's Cancel) at a node boundary: n1, n2 on v23.1.12; remaining: n3 (v23.1.11, running); run `pulumi up` again to resume",
    );
    assert.match(cancelSummary("v2", [{ name: "n1", version: "v1", state: "stopped" }]), /: no node on v2; remaining: n1 \(v1, stopped\)/);
  });

  it("reads customTimeouts (seconds, 0 = none) and the engine address among the engine's flags", () => {
    assert.strictEqual(timeoutMsOf(0), undefined);
    assert.strictEqual(timeoutMsOf(90), 90_000);
    assert.strictEqual(timeoutMsOf(0.5), 500);
    assert.strictEqual(engineAddressFrom(["--logtostderr", "-v=9", "--tracing", "x:1", "127.0.0.1:4000"]), "127.0.0.1:4000");
    assert.strictEqual(engineAddressFrom([]), undefined);
  });
});
