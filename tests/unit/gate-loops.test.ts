/**
 * The gate's waiting loops (rollout/gate-loops.ts) on a virtual clock with a
 * scripted sampler — no cluster, no real sleep. The time model (issue 14):
 * the next node waits max(bake since the rejoin, re-check since the rejoin,
 * catch-up + gateSamples confirmations), not their sum; a failed sample
 * before the streak restarts the count, after it fails the node; unavailable
 * ranges fail a forward roll at once. And one sample (gates.ts
 * sampleClusterGate) over a scripted reader: a missing metric, an unreadable
 * node or an unreadable catch-up is never healthy.
 */
import * as assert from "assert";
import type { ClusterReader, GossipRow, NodeVars } from "../../provider/cluster/reader";
import { isGateFailed } from "../../provider/core/errors";
import type { NodeSpec } from "../../provider/core/types";
import { awaitClusterGate, awaitNodeReady, bakeWithGate } from "../../provider/rollout/gate-loops";
import { sampleClusterGate, type ClusterSample, type GateContext } from "../../provider/rollout/gates";
import { parseSpec } from "../../provider/spec/parse";
import { VirtualClock, inputs } from "./pure-fixtures";
import { HEALTHY_RAFT, NO_PROBLEMS, raftBody, range } from "./raft-fixtures";

type Script = (t: number) => { ok: boolean; unavailable?: number };

interface Rig {
  readonly clock: VirtualClock;
  readonly ctx: GateContext;
  /** The virtual time of every sample taken. */
  readonly sampledAt: number[];
}

const STRATEGY = { gateSamples: 3, gateIntervalMs: 250, gateRecheckAfterMs: 1_200 };

function rig(script: Script, strategy: Partial<typeof STRATEGY> = {}, failOnUnavailable = true): Rig {
  const clock = new VirtualClock();
  const sampledAt: number[] = [];
  const sample = (): Promise<ClusterSample> => {
    sampledAt.push(clock.t);
    const s = script(clock.t);
    const detail = s.ok ? "live 3/3" : `not yet at ${clock.t} ms${s.unavailable ? `, unavailable ${s.unavailable}` : ""}`;
    return Promise.resolve({ at: String(clock.t), ok: s.ok, detail, live: 3, total: 3, unavailable: s.unavailable ?? 0 });
  };
  const ctx: GateContext = {
    reader: {} as ClusterReader,
    nodes: [],
    strategy: { ...STRATEGY, ...strategy },
    clock,
    sample,
    failOnUnavailable,
  };
  return { clock, ctx, sampledAt };
}

/** Rejoin at t = 0, then the two phases the run records: the time the next node may be touched. */
async function rejoinToRelease(r: Rig, bakeMs: number): Promise<number> {
  const rejoinedAt = r.clock.now();
  await awaitClusterGate(r.ctx, 60_000);
  await bakeWithGate(r.ctx, bakeMs, undefined, rejoinedAt);
  return r.clock.now() - rejoinedAt;
}

const caughtUpAfter =
  (ms: number): Script =>
  (t) => ({ ok: t >= ms });

describe("gate loops: the bake counts from the rejoin (virtual clock)", () => {
  it("a long bake: catch-up and the streak run inside it; released when the bake has passed since the rejoin", async () => {
    const r = rig(caughtUpAfter(2_000));
    assert.strictEqual(await rejoinToRelease(r, 10_000), 10_000);
    assert.ok(
      r.sampledAt.every((t, i) => i === 0 || t - r.sampledAt[i - 1] <= 250),
      "sampled every interval throughout",
    );
    assert.strictEqual(r.sampledAt[r.sampledAt.length - 1], 10_000, "the last sample is taken at the release, not before");
  });

  it("a slow catch-up: released when the streak completes, with no bake added after it (max, not sum)", async () => {
    const r = rig(caughtUpAfter(8_000));
    // Healthy at 8000, 8250, 8500: three in a row; the 3 s bake passed long ago.
    assert.strictEqual(await rejoinToRelease(r, 3_000), 8_500);
  });

  it("the re-check delay counts inside the same max, from the rejoin", async () => {
    assert.strictEqual(await rejoinToRelease(rig(caughtUpAfter(0), { gateRecheckAfterMs: 5_000 }), 3_000), 5_000);
    assert.strictEqual(await rejoinToRelease(rig(caughtUpAfter(0), { gateRecheckAfterMs: 1_000 }), 3_000), 3_000);
    // A 22 s re-check (the default before issue 14) with a 3 s bake: 22 s, not 22 s + 3 s + the streak.
    assert.strictEqual(await rejoinToRelease(rig(caughtUpAfter(1_000), { gateRecheckAfterMs: 22_000 }), 3_000), 22_000);
  });

  it("is max(bake, re-check, catch-up + streak) over a grid of timings", async () => {
    for (const catchUp of [0, 500, 2_000, 7_250]) {
      for (const bake of [0, 1_000, 3_000, 9_000]) {
        for (const recheck of [0, 1_200, 4_000]) {
          const r = rig(caughtUpAfter(catchUp), { gateRecheckAfterMs: recheck });
          // Samples fall on the 250 ms grid (catchUp is on it): the third healthy one 2 intervals after the first.
          const want = Math.max(catchUp + 2 * 250, bake, recheck);
          assert.strictEqual(await rejoinToRelease(r, bake), want, `catch-up ${catchUp}, bake ${bake}, re-check ${recheck}`);
        }
      }
    }
  });

  it("a failed sample before the streak restarts the count: three healthy in a row after it", async () => {
    // Healthy from 0, except one bad sample at 500 ms.
    const r = rig((t) => ({ ok: t !== 500 }));
    const samples = await awaitClusterGate(r.ctx, 60_000);
    assert.deepStrictEqual(
      samples.map((s) => s.ok),
      [true, true, false, true, true, true],
    );
    assert.strictEqual(r.clock.now(), 1_250);
  });

  it("a failed sample after the streak, inside the bake, fails the node at once (phase bake, samples attached)", async () => {
    const r = rig((t) => ({ ok: t !== 2_000 }));
    await awaitClusterGate(r.ctx, 60_000);
    await assert.rejects(bakeWithGate(r.ctx, 10_000, undefined, 0), (e: unknown) => {
      assert.ok(isGateFailed(e));
      assert.strictEqual(e.phase, "bake");
      assert.match(e.message, /cluster gate failed during the bake: not yet at 2000 ms/);
      const samples = (e as { samples?: ClusterSample[] }).samples ?? [];
      assert.strictEqual(samples[samples.length - 1].ok, false);
      return true;
    });
    assert.strictEqual(r.clock.now(), 2_000, "no sample after the failure");
  });

  it("unavailable ranges fail a forward roll at once, and are waited out rolling back", async () => {
    const lost: Script = (t) => (t < 1_000 ? { ok: false, unavailable: 2 } : { ok: true });
    await assert.rejects(awaitClusterGate(rig(lost).ctx, 60_000), (e: unknown) => {
      assert.ok(isGateFailed(e));
      assert.strictEqual(e.phase, "await-cluster");
      assert.match(e.message, /quorum lost: .*unavailable 2/);
      return true;
    });
    const back = rig(lost, {}, false);
    await awaitClusterGate(back.ctx, 60_000);
    assert.strictEqual(back.clock.now(), 1_500);
  });

  it("never healthy: the streak's deadline fails the node naming the last sample", async () => {
    const r = rig(() => ({ ok: false }));
    await assert.rejects(awaitClusterGate(r.ctx, 2_000), /did not hold 3 samples in a row within 2s: not yet at 2000 ms/);
  });

  it("without a rejoin (resume, the bake before finalizing): held max(bake, re-check) from the streak's end, as before", async () => {
    const r = rig(caughtUpAfter(0));
    await awaitClusterGate(r.ctx, 60_000);
    const from = r.clock.now();
    await bakeWithGate(r.ctx, 3_000);
    assert.strictEqual(r.clock.now() - from, 3_000);
    const short = rig(caughtUpAfter(0));
    await awaitClusterGate(short.ctx, 60_000);
    await bakeWithGate(short.ctx, 100);
    assert.strictEqual(short.clock.now() - 500, 1_200, "at least the re-check delay");
  });
});

// ---------------------------------------------------------------------------
// One sample and the ready wait over a scripted reader.

const spec = parseSpec(inputs(3, "v23.1.12"));
const row = (n: NodeSpec, i: number, extra: Partial<GossipRow> = {}): GossipRow => ({
  nodeId: i + 1,
  address: `${n.sqlAddr.host}:26257`,
  sqlAddress: `${n.sqlAddr.host}:${n.sqlAddr.port}`,
  build: "v23.1.12",
  locality: n.locality,
  isAvailable: true,
  isLive: true,
  draining: false,
  membership: "active",
  ...extra,
});
const HEALTHY: NodeVars = { build: "v23.1.12", underReplicated: 0, unavailable: 0, raftLogBehind: 0 };

interface ReaderScript {
  gossip?: () => GossipRow[];
  vars?: (n: NodeSpec) => NodeVars;
  raft?: () => unknown;
  health?: (n: NodeSpec) => { reachable: boolean; status: number; message: string };
}

/** A scripted reader; `requests` counts what one sample asks (SQL and HTTP alike). */
function reader(s: ReaderScript, requests: string[] = []): ClusterReader {
  const fake = {
    gossip: () => (requests.push("sql"), Promise.resolve(s.gossip ? s.gossip() : spec.nodes.map((n, i) => row(n, i)))),
    vars: (n: NodeSpec) => (requests.push(`vars ${n.name}`), Promise.resolve(s.vars ? s.vars(n) : HEALTHY)),
    raftDebug: () => (requests.push("raft"), Promise.resolve().then(() => (s.raft ? s.raft() : HEALTHY_RAFT))),
    ranges: (n: NodeSpec) => (requests.push(`ranges ${n.name}`), Promise.reject(new Error("not read per node"))),
    health: (n: NodeSpec) => Promise.resolve(s.health ? s.health(n) : { reachable: true, status: 200, message: "" }),
  };
  return fake as unknown as ClusterReader;
}

describe("gate: one sample is healthy only on positive evidence", () => {
  it("healthy when every node is live, no range is under-replicated or unavailable and nothing lags: 1 SQL + 1 HTTP", async () => {
    const requests: string[] = [];
    const s = await sampleClusterGate(reader({}, requests), spec.nodes);
    assert.strictEqual(s.ok, true, s.detail);
    assert.deepStrictEqual(requests, ["sql", "raft"]);
    assert.deepStrictEqual([s.underReplicated, s.unavailable], [0, 0]);
  });

  it("under-replicated or unavailable ranges reported by the counting replica fail the sample, with their count", async () => {
    const flagged = (problems: Record<string, unknown>) =>
      raftBody([
        range(
          1,
          1,
          1,
          100,
          [
            { node: 2, match: 100 },
            { node: 3, match: 100 },
          ],
          { ...NO_PROBLEMS, ...problems },
        ),
        range(1, 2, 1, 100, []),
        range(1, 3, 1, 100, []),
      ]);
    const under = await sampleClusterGate(reader({ raft: () => flagged({ underreplicated: true }) }), spec.nodes);
    assert.deepStrictEqual([under.ok, under.underReplicated, under.unavailable], [false, 1, 0]);
    const unavail = await sampleClusterGate(reader({ raft: () => flagged({ unavailable: true }) }), spec.nodes);
    assert.deepStrictEqual([unavail.ok, unavail.underReplicated, unavail.unavailable], [false, 0, 1]);
  });

  it("a replica that does not report its range problems leaves range health unknown: a failed sample, never a pass", async () => {
    for (const missing of [{ underreplicated: undefined }, { unavailable: undefined }]) {
      const raft = raftBody([
        range(1, 1, 1, 100, [
          { node: 2, match: 100 },
          { node: 3, match: 100 },
        ]),
        range(1, 2, 1, 100, [], { ...NO_PROBLEMS, ...missing }),
        range(1, 3, 1, 100, []),
      ]);
      const s = await sampleClusterGate(reader({ raft: () => raft }), spec.nodes);
      assert.strictEqual(s.ok, false);
      assert.strictEqual(s.underReplicated, undefined);
      assert.match(s.detail, /range health unknown/);
    }
  });

  it("a node not live, draining or not in the cluster's list fails the sample", async () => {
    for (const rows of [
      spec.nodes.map((n, i) => row(n, i, i === 2 ? { isLive: false } : {})),
      spec.nodes.map((n, i) => row(n, i, i === 2 ? { draining: true } : {})),
      spec.nodes.slice(0, 2).map((n, i) => row(n, i)),
    ]) {
      const s = await sampleClusterGate(reader({ gossip: () => rows }), spec.nodes);
      assert.strictEqual(s.ok, false);
      assert.match(s.detail, /not live: n3/);
    }
  });

  it("a node the cluster's fan-out could not reach leaves catch-up unproven: a failed sample", async () => {
    const s = await sampleClusterGate(
      reader({
        raft: () =>
          raftBody(
            [range(1, 1, 1, 100, [{ node: 2, match: 100 }]), range(1, 2, 1, 100, [])],
            ["failed to get ranges from 3: connection refused"],
          ),
      }),
      spec.nodes,
    );
    assert.strictEqual(s.ok, false);
    assert.match(s.detail, /catch-up not proven: n3: no raft state: failed to get ranges from 3/);
  });

  it("a cluster that cannot be asked fails the sample (no throw)", async () => {
    const s = await sampleClusterGate(
      reader({
        gossip: () => {
          throw new Error("connection refused");
        },
      }),
      spec.nodes,
    );
    assert.strictEqual(s.ok, false);
    assert.match(s.detail, /cannot sample: connection refused/);
  });
});

describe("gate: the ready wait polls from the gate interval, not a fixed 250 ms", () => {
  const node = spec.nodes[0];
  const readyAfter = (clock: VirtualClock, ms: number) =>
    reader({
      health: () =>
        clock.t >= ms ? { reachable: true, status: 200, message: "" } : { reachable: true, status: 503, message: "not ready" },
    });

  it("polls every gate interval up to 1 s, and returns at the first ready poll (the rejoin)", async () => {
    for (const [interval, poll] of [
      [250, 250],
      [5_000, 1_000],
    ]) {
      const clock = new VirtualClock();
      const ctx: GateContext = {
        reader: readyAfter(clock, 2_100),
        nodes: spec.nodes,
        strategy: { ...STRATEGY, gateIntervalMs: interval },
        clock,
      };
      await awaitNodeReady(ctx, node, "v23.1.12", 60_000);
      assert.ok(
        clock.sleeps.every((ms) => ms === poll),
        `interval ${interval}: polls ${clock.sleeps.join(",")}`,
      );
      assert.strictEqual(clock.t, Math.ceil(2_100 / poll) * poll);
    }
  });

  it("fails at the deadline naming why the node is not ready", async () => {
    const clock = new VirtualClock();
    const ctx: GateContext = { reader: readyAfter(clock, Infinity), nodes: spec.nodes, strategy: STRATEGY, clock };
    await assert.rejects(
      awaitNodeReady(ctx, node, "v23.1.12", 3_000),
      /not ready on v23.1.12 within 3s: \/health\?ready=1 answered 503 not ready/,
    );
  });
});
