/**
 * Which file is a node's way back at each point of a roll (pure logic of
 * provider/rollout/rollback-source.ts): the binary in place before the swap, `_old`
 * after it only when its build tag is the previous build, else the previous
 * release from the release source; and the build each node goes back to.
 * Also which node a failure names (the debug zip is not taken through it).
 */
import * as assert from "assert";
import { failedNodeOf } from "../../provider/rollout/failure-evidence";
import { previousBuilds, wayBack } from "../../provider/rollout/rollback-source";

const TARGET = "v23.1.12";
const PREV = "v23.1.11";
const paths = { binaryPath: "/opt/cockroach", oldPath: "/opt/cockroach_old" };

describe("rollback source (pure)", () => {
  describe("wayBack", () => {
    it("before the swap, the binary in place is the way back", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: PREV }, TARGET, PREV), { source: "binary", build: PREV });
      // A stale _old beside a not-yet-swapped binary does not matter: the swap replaces it.
      assert.deepStrictEqual(wayBack({ ...paths, binary: PREV, old: "v22.2.0" }, TARGET, PREV), { source: "binary", build: PREV });
    });

    it("a binary in place that is not the build the node runs is not the way back", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: "v23.1.10" }, TARGET, PREV), {
        source: "release",
        build: PREV,
        why: "/opt/cockroach is v23.1.10, not v23.1.11",
      });
    });

    it("after the swap, _old is the way back when its build tag is the previous build", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET, old: PREV }, TARGET, PREV), { source: "old", build: PREV });
    });

    it("after the swap, a missing, wrong or target _old sends it to the release source, naming what was found", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET }, TARGET, PREV), {
        source: "release",
        build: PREV,
        why: "/opt/cockroach_old is missing",
      });
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET, old: "v23.1.10" }, TARGET, PREV), {
        source: "release",
        build: PREV,
        why: "/opt/cockroach_old is v23.1.10, not v23.1.11",
      });
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET, old: TARGET }, TARGET, PREV), {
        source: "release",
        build: PREV,
        why: "/opt/cockroach_old is v23.1.12 (the target itself)",
      });
    });

    it("an unreadable binary is judged by _old", () => {
      assert.deepStrictEqual(wayBack({ ...paths, old: PREV }, TARGET, PREV), { source: "old", build: PREV });
    });

    it("with the previous build unknown, any non-target _old is accepted, and nothing else can be done", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET, old: "v23.1.10" }, TARGET), { source: "old", build: "v23.1.10" });
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET }, TARGET), { source: "none", why: "/opt/cockroach_old is missing" });
    });

    it("a downgrade is symmetric: the newer build in place, or in _old, is the way back", () => {
      assert.deepStrictEqual(wayBack({ ...paths, binary: TARGET }, PREV, TARGET), { source: "binary", build: TARGET });
      assert.deepStrictEqual(wayBack({ ...paths, binary: PREV, old: TARGET }, PREV, TARGET), { source: "old", build: TARGET });
    });
  });

  describe("previousBuilds", () => {
    it("a node to roll goes back to what it runs; a node already on the target to what the others run", () => {
      const got = previousBuilds(
        [
          { name: "n1", build: TARGET, binaryBuild: TARGET, previousBuild: PREV },
          { name: "n2", build: PREV, binaryBuild: PREV },
          { name: "n3", binaryBuild: PREV },
        ],
        ["n2", "n3"],
        TARGET,
      );
      assert.deepStrictEqual(
        [...got],
        [
          ["n2", PREV],
          ["n3", PREV],
          ["n1", PREV],
        ],
      );
    });

    it("a node running the target on an old binary (restarted by hand) goes back to its binary", () => {
      const got = previousBuilds([{ name: "n1", build: TARGET, binaryBuild: PREV }], ["n1"], TARGET);
      assert.strictEqual(got.get("n1"), PREV);
    });

    it("when the nodes still to roll disagree, a rolled node's previous build is unknown", () => {
      const got = previousBuilds(
        [
          { name: "n1", build: TARGET, binaryBuild: TARGET },
          { name: "n2", build: PREV, binaryBuild: PREV },
          { name: "n3", build: "v23.1.10", binaryBuild: "v23.1.10" },
        ],
        ["n2", "n3"],
        TARGET,
      );
      assert.strictEqual(got.get("n1"), undefined);
      assert.strictEqual(got.get("n3"), "v23.1.10");
    });
  });

  describe("failedNodeOf", () => {
    it("reads the node a failure names", () => {
      assert.strictEqual(failedNodeOf(new Error("bake node n2 (127.0.0.1): cluster gate failed")), "n2");
      assert.strictEqual(failedNodeOf({ node: { name: "n3", host: "h" }, message: "x" }), "n3");
      assert.strictEqual(failedNodeOf(new Error("preflight: refused")), undefined);
    });
  });
});
