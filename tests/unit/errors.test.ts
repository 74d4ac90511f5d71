/**
 * The one error vocabulary (provider/core/errors.ts): every "<phase> node
 * <name> (<host>): <what>: <cause>" message comes from failureMessage, the
 * host is the SQL host, and an error whose message is extended keeps its
 * class and brand (the final error of a failed run keeps its type).
 */
import * as assert from "assert";
import {
  GateFailed,
  LeaseLost,
  NodeOpFailed,
  PhaseFailed,
  ReadFailed,
  InvalidValue,
  failureMessage,
  isGateFailed,
  isInvalidValue,
  isNodeOpFailed,
  isPhaseFailed,
  isReadFailed,
  rewordError,
  subjectOf,
} from "../../provider/core/errors";

const n2 = { name: "n2", host: "10.0.0.2" };

describe("provider/core/errors: one message form", () => {
  it("names phase, node with its host, what and cause", () => {
    assert.strictEqual(
      failureMessage("drain", n2, "cockroach node drain failed", "drain timeout"),
      "drain node n2 (10.0.0.2): cockroach node drain failed: drain timeout",
    );
  });

  it("drops the cause when there is none, and the node when none is concerned", () => {
    assert.strictEqual(
      failureMessage("stop", n2, "process still running after stop"),
      "stop node n2 (10.0.0.2): process still running after stop",
    );
    assert.strictEqual(
      failureMessage("hooks", undefined, "backup command exited 2", "disk full"),
      "hooks: backup command exited 2: disk full",
    );
    assert.strictEqual(failureMessage("preflight", undefined, "refused", ""), "preflight: refused");
  });

  it("takes the host from sqlAddr, not from the SSH connection", () => {
    const spec = { name: "n1", sqlAddr: { host: "10.1.0.1", port: 26257 }, connection: { kind: "ssh", host: "bastion.example" } };
    assert.deepStrictEqual(subjectOf(spec), { name: "n1", host: "10.1.0.1" });
  });

  it("is the form of every typed error", () => {
    assert.strictEqual(
      new NodeOpFailed("start", n2, "start exited 1", "store locked").message,
      "start node n2 (10.0.0.2): start exited 1: store locked",
    );
    assert.strictEqual(new GateFailed("bake", "cluster gate failed", n2).message, "bake node n2 (10.0.0.2): cluster gate failed");
    assert.strictEqual(
      new GateFailed("preflight", "refused, no node was touched: x").message,
      "preflight: refused, no node was touched: x",
    );
    assert.strictEqual(new LeaseLost("drain", n2, "lease taken over").message, "drain node n2 (10.0.0.2): not started: lease taken over");
    assert.strictEqual(
      new PhaseFailed("stage-release", undefined, "cannot fetch u", "HTTP 404").message,
      "stage-release: cannot fetch u: HTTP 404",
    );
    assert.strictEqual(new ReadFailed("/_status/vars answered HTTP 503").message, "/_status/vars answered HTTP 503");
    assert.strictEqual(new InvalidValue('version "x": not a version').message, 'version "x": not a version');
  });

  it("tells the kinds apart by brand", () => {
    assert.ok(isPhaseFailed(new PhaseFailed("hooks", undefined, "x")));
    assert.ok(!isPhaseFailed(new NodeOpFailed("hooks", n2, "x")));
    assert.ok(isReadFailed(new ReadFailed("x")));
    assert.ok(isInvalidValue(new InvalidValue("x")));
    assert.ok(!isInvalidValue(new Error("x")));
  });
});

describe("provider/core/errors: rewordError keeps the type", () => {
  it("extends the message of a NodeOpFailed and it is still one, with its fields", () => {
    const e = new NodeOpFailed("start", n2, "start exited 1", "store locked");
    const r = rewordError(e, (m) => `${m}; rolled back n2 to v23.1.11`);
    assert.ok(r instanceof NodeOpFailed);
    assert.ok(isNodeOpFailed(r));
    assert.strictEqual(r.name, "NodeOpFailed");
    assert.strictEqual(r.phase, "start");
    assert.deepStrictEqual(r.node, n2);
    assert.strictEqual(r.message, "start node n2 (10.0.0.2): start exited 1: store locked; rolled back n2 to v23.1.11");
    assert.match(r.stack ?? "", /^NodeOpFailed: start node n2 \(10\.0\.0\.2\): .*; rolled back n2 to v23\.1\.11\n/);
    assert.strictEqual((r as { cause?: unknown }).cause, e);
    assert.strictEqual(e.message, "start node n2 (10.0.0.2): start exited 1: store locked", "the original is untouched");
  });

  it("keeps a GateFailed a GateFailed, and a plain Error an Error", () => {
    const g = rewordError(new GateFailed("await-node", "not ready", n2), (m) => `${m}; rollbackOnFailure is false`);
    assert.ok(isGateFailed(g));
    assert.ok(!isNodeOpFailed(g));
    const p = rewordError(new Error("x"), (m) => `${m}!`);
    assert.strictEqual(Object.getPrototypeOf(p), Error.prototype);
    assert.strictEqual(p.message, "x!");
  });
});
