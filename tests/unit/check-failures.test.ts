/**
 * Check failures in the shape the engine prints well: the engine shows
 * `inputs[property]` (a top-level lookup), so a nested path must not be sent
 * as the property, or the user reads `value {<nil>}`.
 */
import * as assert from "assert";
import { failurePath, failuresForEngine } from "../../provider/engine/check-failures";
import { check } from "../../provider/lifecycle";
import { inputs } from "./pure-fixtures";

describe("provider/check-failures", () => {
  const ok = inputs(3, "v23.1.12") as unknown as Record<string, unknown>;

  it("keeps a top-level property with a plain value, which the engine shows as written", () => {
    const f = { property: "version", reason: '"23.1" is not a version like v23.1.12' };
    assert.deepStrictEqual(failuresForEngine([f], { ...ok, version: "23.1" }), [f]);
  });

  for (const [name, patch, path] of [
    ["strategy.waitAfterRejoin", { strategy: { waitAfterRejoin: "3x" } }, "strategy.waitAfterRejoin"],
    ["release.sha256", { release: { sha256: "abc" } }, "release.sha256"],
    [
      "nodes[1].sqlAddr",
      { nodes: [(ok.nodes as object[])[0], { ...(ok.nodes as object[])[1], sqlAddr: "nope" }, (ok.nodes as object[])[2]] },
      "nodes[1].sqlAddr",
    ],
    ["a missing version", { version: undefined }, "version"],
    ["an object where a string belongs", { version: { tag: "v23.1.12" } }, "version"],
  ] as const) {
    it(`sends ${name} without a property, the path leading the reason, and the value shown by the reason`, async () => {
      const { failures } = await check({}, { ...ok, ...patch });
      const at = failures.filter((f) => failurePath(f) === path);
      assert.strictEqual(at.length, 1, JSON.stringify(failures));
      assert.strictEqual(at[0].property, "");
      assert.ok(at[0].reason.startsWith(`${path}: `), at[0].reason);
    });
  }

  it("quotes the bad value in a nested failure (what the engine cannot show)", async () => {
    const { failures } = await check({}, { ...ok, strategy: { waitAfterRejoin: "3x" } });
    assert.match(failures[0].reason, /^strategy\.waitAfterRejoin: .*"3x"/);
  });

  it("words whole-input failures as a sentence", () => {
    assert.deepStrictEqual(failuresForEngine([{ property: "(inputs)", reason: "are required" }], {}), [
      { property: "", reason: "inputs are required" },
    ]);
  });
});
