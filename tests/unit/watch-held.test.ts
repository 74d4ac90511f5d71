/**
 * The whole-cluster watch does not ask the process manager about the nodes
 * the run holds down (cluster/now.ts ReadOptions.held; rollout/watch.ts):
 * it never judges them, and in a batch of 10 those were 10 commands at
 * every sample. Faked reader and handles (pure logic, no cluster): a held
 * node's process is not asked and reads "unknown" (never up), every other
 * node not answering ready is still asked; the watch hands its held set to
 * each read, as it is when the read begins.
 */
import * as assert from "assert";
import type { ClusterReader } from "../../provider/cluster/reader";
import { conditionOf, readClusterNow, type ClusterNow } from "../../provider/cluster/now";
import type { NodeHandle } from "../../provider/node/handle";
import { ClusterWatch } from "../../provider/rollout/watch";
import { parseSpec } from "../../provider/spec/parse";
import { inputs } from "./pure-fixtures";

const spec = parseSpec(inputs(3, "v23.1.12"));

/** n1 ready, n2 draining (503, reachable), n3 stopped (unreachable); counts the process-manager asks per node. */
function fakes() {
  const asked: string[] = [];
  const reader = {
    // Liveness unread (undefined): conditions come from the process and /health alone.
    gossip: async () => {
      throw new Error("no SQL in this fake");
    },
    health: async (node: { name: string }) =>
      node.name === "n1"
        ? { reachable: true, status: 200, message: "" }
        : { reachable: node.name === "n2", status: 503, message: "node is shutting down" },
    vars: async () => ({ build: "v23.1.12" }),
  } as unknown as ClusterReader;
  const handles = spec.nodes.map((n) => ({
    spec: n,
    ops: {
      processState: async () => {
        asked.push(n.name);
        return n.name === "n3" ? "stopped" : "running";
      },
    },
  })) as unknown as NodeHandle[];
  return { reader, handles, asked };
}

describe("watch: held nodes' process not asked", () => {
  it("light read without held: every node not answering ready is asked", async () => {
    const f = fakes();
    const now = await readClusterNow(f.reader, f.handles, undefined, { light: true });
    assert.deepStrictEqual(f.asked.sort(), ["n2", "n3"]);
    assert.deepStrictEqual(
      now.nodes.map((n) => [n.name, n.process]),
      [
        ["n1", "running"],
        ["n2", "running"],
        ["n3", "stopped"],
      ],
    );
  });

  it("light read with held n2, n3: neither is asked, both read unknown and neither counts as up", async () => {
    const f = fakes();
    const now = await readClusterNow(f.reader, f.handles, undefined, { light: true, held: new Set(["n2", "n3"]) });
    assert.deepStrictEqual(f.asked, []);
    const byName = new Map(now.nodes.map((n) => [n.name, n]));
    assert.strictEqual(byName.get("n2")?.process, "unknown");
    assert.strictEqual(byName.get("n3")?.process, "unknown");
    assert.strictEqual(conditionOf(byName.get("n1") as ClusterNow["nodes"][number]), "up");
    assert.notStrictEqual(conditionOf(byName.get("n2") as ClusterNow["nodes"][number]), "up");
    assert.strictEqual(conditionOf(byName.get("n3") as ClusterNow["nodes"][number]), "down");
  });

  it("held n2 only: n3 (not held, not ready) is still asked", async () => {
    const f = fakes();
    await readClusterNow(f.reader, f.handles, undefined, { light: true, held: new Set(["n2"]) });
    assert.deepStrictEqual(f.asked, ["n3"]);
  });

  it("the watch hands each read the nodes held when it begins", async () => {
    const seen: string[][] = [];
    const f = fakes();
    const w = new ClusterWatch({
      read: (signal, held) => {
        seen.push([...(held ?? [])].sort());
        return readClusterNow(f.reader, f.handles, signal, { light: true, held });
      },
      intervalMs: 1000,
      hostOf: (n) => n,
    });
    w.hold(["n2", "n3"]);
    await w.sample();
    w.release(["n3"]);
    await w.sample();
    assert.deepStrictEqual(seen, [["n2", "n3"], ["n2"]]);
    assert.deepStrictEqual(f.asked, ["n3"], "n3 asked once released");
  });
});
