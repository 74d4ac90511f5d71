/**
 * The whole-cluster watch (watch.ts): the pure judgement of samples (nodes
 * held by the run are ignored, a node down or unready on `threshold`
 * consecutive samples fails, a recovery resets the count), and the watch
 * itself on scripted cluster reads and a fake clock: it aborts its signal on
 * the failure, names the node, since when, what the run was doing and what
 * every node runs; and `blameOther` names a peer that is down after a step
 * failed. Also the node conditions (cluster-now.ts) the guard counts.
 */
import * as assert from "assert";
import { conditionOf, describeCluster, type ClusterNow, type NodeNow } from "../../provider/cluster/now";
import type { Clock } from "../../provider/rollout/guard";
import { ClusterWatch, judgeSample } from "../../provider/rollout/watch";

function node(name: string, extra: Partial<NodeNow> = {}): NodeNow {
  return {
    name,
    host: `10.0.0.${name.slice(1)}`,
    process: "running",
    live: true,
    draining: false,
    ready: true,
    reachable: true,
    build: "v23.1.12",
    ...extra,
  };
}
const crashed = (name: string): NodeNow => node(name, { process: "stopped", reachable: false, ready: false, live: true, build: undefined });

function now(at: number, nodes: NodeNow[]): ClusterNow {
  return { at, nodes };
}

describe("cluster-now: node conditions", () => {
  it("down: process stopped, HTTP unreachable, or not live; draining; unready; up", () => {
    assert.strictEqual(conditionOf(node("n1")), "up");
    assert.strictEqual(conditionOf(node("n1", { process: "stopped" })), "down");
    assert.strictEqual(conditionOf(node("n1", { reachable: false })), "down");
    assert.strictEqual(conditionOf(node("n1", { live: false })), "down");
    assert.strictEqual(conditionOf(node("n1", { live: undefined })), "up", "unknown liveness (SQL down) alone is not down");
    assert.strictEqual(conditionOf(node("n1", { draining: true, ready: false })), "draining");
    assert.strictEqual(conditionOf(node("n1", { process: "draining" })), "draining");
    assert.strictEqual(conditionOf(node("n1", { ready: false })), "unready");
  });

  it("describes every node", () => {
    assert.strictEqual(
      describeCluster(now(0, [crashed("n1"), node("n2"), node("n3", { build: "v23.1.11", ready: false })])),
      "n1 down (process stopped, HTTP unreachable); n2 v23.1.12 ready; n3 v23.1.11 unready (not ready)",
    );
  });
});

describe("watch: judgeSample (pure)", () => {
  it("fails a node only after `threshold` consecutive bad samples, from the first of them", () => {
    let state = { bad: new Map() } as Parameters<typeof judgeSample>[0];
    const held = new Set<string>();
    const results: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const r = judgeSample(state, now(1000 + i, [crashed("n1"), node("n2"), node("n3")]), held, 3);
      state = r.state;
      results.push([...r.failed]);
    }
    assert.deepStrictEqual(results, [[], [], ["n1"]]);
    assert.strictEqual(state.bad.get("n1")?.since, 1000);
  });

  it("a recovery resets the count; held nodes and draining nodes never fail", () => {
    let state = { bad: new Map() } as Parameters<typeof judgeSample>[0];
    const held = new Set(["n2"]);
    const seq = [
      [crashed("n1"), crashed("n2"), node("n3", { draining: true, ready: false })],
      [node("n1"), crashed("n2"), node("n3", { draining: true, ready: false })],
      [crashed("n1"), crashed("n2"), node("n3", { draining: true, ready: false })],
      [crashed("n1"), crashed("n2"), node("n3", { draining: true, ready: false })],
    ];
    const failed = seq.map((nodes, i) => {
      const r = judgeSample(state, now(i, nodes), held, 3);
      state = r.state;
      return r.failed;
    });
    assert.deepStrictEqual(failed, [[], [], [], []]);
    assert.strictEqual(state.bad.get("n1")?.count, 2);
  });

  it("an unready node (a hung release) fails like a crashed one", () => {
    const r = judgeSample({ bad: new Map() }, now(5, [node("n1", { ready: false })]), new Set(), 1);
    assert.deepStrictEqual(r.failed, ["n1"]);
  });
});

describe("watch: ClusterWatch on scripted reads", () => {
  const clock: Clock = { now: () => 0, sleep: async () => undefined };

  function watchOn(script: ClusterNow[]) {
    let i = 0;
    return new ClusterWatch({
      read: async () => script[Math.min(i++, script.length - 1)],
      intervalMs: 1000,
      threshold: 3,
      clock,
      hostOf: (n) => `10.0.0.${n.slice(1)}`,
    });
  }

  it("aborts its signal on an upgraded node that crashed, naming node, since when, what the run did and what every node runs", async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const bad = (k: number) => now(t0 + k * 1000, [crashed("n1"), node("n2", { ready: false }), node("n3", { build: "v23.1.11" })]);
    const healthy = now(t0 - 1000, [node("n1"), node("n2"), node("n3", { build: "v23.1.11" })]);
    const w = watchOn([healthy, bad(0), bad(1), bad(2)]);
    w.hold(["n2"]);
    w.doing("await-cluster", "n2");
    await w.sample();
    await w.sample();
    await w.sample();
    assert.strictEqual(w.signal.aborted, false, "not on the first bad samples");
    await w.sample();
    assert.strictEqual(w.signal.aborted, true);
    const f = w.failure as Error;
    assert.match(
      f.message,
      /^watch node n1 \(10\.0\.0\.1\): n1 down since 2026-01-01T00:00:00\.000Z \(3 sample\(s\), 2s\) while n2 was in await-cluster/,
    );
    assert.match(f.message, /no further node is touched/);
    assert.match(
      f.message,
      /cluster now: n1 down \(process stopped, HTTP unreachable\); n2 v23\.1\.12 unready \(not ready\); n3 v23\.1\.11 ready/,
    );
    assert.strictEqual(w.signal.reason, f);
  });

  it("the loop samples every interval until stopped (fake clock: no real sleep)", async () => {
    let reads = 0;
    const sleeps: number[] = [];
    let release: () => void = () => undefined;
    const w = new ClusterWatch({
      read: async () => {
        reads++;
        return now(reads, [node("n1")]);
      },
      intervalMs: 250,
      clock: {
        now: () => 0,
        sleep: (ms) => {
          sleeps.push(ms);
          return sleeps.length < 5 ? Promise.resolve() : new Promise<void>((r) => (release = r));
        },
      },
      hostOf: (n) => n,
    });
    w.start();
    while (sleeps.length < 5) await new Promise((r) => setImmediate(r));
    const stopped = w.stop();
    release();
    await stopped;
    assert.strictEqual(reads, 5);
    assert.deepStrictEqual(sleeps, [250, 250, 250, 250, 250]);
    assert.strictEqual(w.failure, undefined);
  });

  it("a node already bad at the first sample is the guard's, not a new failure, until it has been seen up", async () => {
    const w = watchOn([
      now(1, [node("n1"), node("n2", { ready: false })]),
      now(2, [node("n1"), node("n2", { ready: false })]),
      now(3, [node("n1"), node("n2", { ready: false })]),
      now(4, [node("n1"), node("n2")]),
      now(5, [node("n1"), node("n2", { ready: false })]),
      now(6, [node("n1"), node("n2", { ready: false })]),
      now(7, [node("n1"), node("n2", { ready: false })]),
    ]);
    for (let i = 0; i < 4; i++) await w.sample();
    assert.strictEqual(w.failure, undefined);
    for (let i = 0; i < 3; i++) await w.sample();
    assert.match(String((w.failure as Error | undefined)?.message), /^watch node n2 .*n2 unready since/);
  });

  it("blameOther names a peer down after a step failed, never the node in hand", async () => {
    const w = watchOn([now(0, [node("n1"), node("n2"), node("n3")]), now(1, [node("n1"), crashed("n2"), crashed("n3")])]);
    await w.sample();
    const f = await w.blameOther(["n2"]);
    assert.match(String(f?.message), /^watch node n3 /);
    const none = await watchOn([now(1, [node("n1"), crashed("n2"), node("n3")])]).blameOther(["n2"]);
    assert.strictEqual(none, undefined);
  });
});
