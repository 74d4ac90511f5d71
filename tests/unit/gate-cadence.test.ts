/**
 * The gate loops' timing when a sample takes time (rollout/gate-loops.ts), on
 * a virtual clock: samples start every interval (a slow sample does not push
 * the next one later), the bake's last sample starts exactly at the release
 * moment (the wait wakes on the deadline) and the next batch's look begins
 * with it; the settle gate before the first node runs beside the pre-roll
 * work and still ends on a streak whose last sample began after that work.
 */
import * as assert from "assert";
import type { ClusterReader } from "../../provider/cluster/reader";
import { awaitClusterGate, awaitClusterGateAlongside, bakeWithGate } from "../../provider/rollout/gate-loops";
import type { ClusterSample, GateContext } from "../../provider/rollout/gates";
import { VirtualClock } from "./pure-fixtures";

const STRATEGY = { gateSamples: 3, gateIntervalMs: 1_000, gateRecheckAfterMs: 0 };

interface Rig {
  readonly clock: VirtualClock;
  readonly ctx: GateContext;
  /** The virtual time each sample started. */
  readonly startedAt: number[];
}

/** Each sample takes `takesMs` of virtual time; `healthy(t)` at its start decides it. */
function rig(takesMs: number, healthy: (t: number) => boolean = () => true, onSample?: (t: number) => void): Rig {
  const clock = new VirtualClock();
  const startedAt: number[] = [];
  const sample = (): Promise<ClusterSample> => {
    const t = clock.t;
    startedAt.push(t);
    onSample?.(t);
    clock.t += takesMs;
    const ok = healthy(t);
    return Promise.resolve({ at: String(t), ok, detail: ok ? "live 3/3" : `not yet at ${t}`, live: 3, total: 3, unavailable: 0 });
  };
  return { clock, ctx: { reader: {} as ClusterReader, nodes: [], strategy: STRATEGY, clock, sample }, startedAt };
}

describe("gate loops: cadence with slow samples (virtual clock)", () => {
  it("awaitClusterGate starts a sample every interval even when each takes 400 ms", async () => {
    const r = rig(400);
    await awaitClusterGate(r.ctx, 60_000);
    assert.deepStrictEqual(r.startedAt, [0, 1_000, 2_000]);
  });

  it("a sample slower than the interval: the next starts at once, never overlapping", async () => {
    const r = rig(1_500);
    await awaitClusterGate(r.ctx, 60_000);
    assert.deepStrictEqual(r.startedAt, [0, 1_500, 3_000]);
  });

  it("the bake's last sample starts at the release moment itself, and the next look begins with it, once", async () => {
    const r = rig(400);
    const looks: number[] = [];
    // Rejoin at 0; the streak 0, 1000, 2000 returns at 2400; bake 4500 ms from the rejoin.
    await awaitClusterGate(r.ctx, 60_000);
    await bakeWithGate(r.ctx, 4_500, undefined, 0, () => looks.push(r.clock.now()));
    // 3400; then 4400 would still run at 4500 (400 ms like the one before): skipped for the release itself.
    assert.deepStrictEqual(r.startedAt.slice(3), [3_400, 4_500], "last sample at the release, not at the next tick");
    assert.deepStrictEqual(looks, [4_500]);
    assert.strictEqual(r.clock.now(), 4_900, "released when that sample returns");
  });

  it("a sample that straddles the release is not the last: one more starts at once, after it", async () => {
    const r = rig(700);
    const looks: number[] = [];
    await awaitClusterGate(r.ctx, 60_000); // samples at 0, 1000, 2000; returns at 2700
    await bakeWithGate(r.ctx, 4_000, undefined, 0, () => looks.push(r.clock.now()));
    // The hold's first sample (3700) has no duration to judge by and straddles 4000; the next starts at 4400.
    assert.deepStrictEqual(r.startedAt.slice(3), [3_700, 4_400]);
    assert.deepStrictEqual(looks, [4_400]);
  });

  it("the streak ends after the release: the next look begins at once, no sample added", async () => {
    const r = rig(400);
    const looks: number[] = [];
    await awaitClusterGate(r.ctx, 60_000);
    const n = r.startedAt.length;
    await bakeWithGate(r.ctx, 1_000, undefined, 0, () => looks.push(r.clock.now()));
    assert.strictEqual(r.startedAt.length, n);
    assert.deepStrictEqual(looks, [2_400]);
  });
});

describe("gate loops: the settle gate beside the pre-roll work (virtual clock)", () => {
  /** A work promise that ends when a sample starts at or after `at` (virtual time has no timers). */
  function workEndingAt(at: number, fails = false): { promise: Promise<void>; onSample: (t: number) => void } {
    let end: () => void = () => undefined;
    let fail: (e: Error) => void = () => undefined;
    const promise = new Promise<void>((res, rej) => ((end = res), (fail = rej)));
    promise.catch(() => undefined);
    return { promise, onSample: (t) => t >= at && (fails ? fail(new Error("staging failed")) : end()) };
  }

  it("a streak complete before the work ends is held until a sample starts after it", async () => {
    const w = workEndingAt(4_500);
    const r = rig(100, () => true, w.onSample);
    const samples = await awaitClusterGateAlongside(r.ctx, 60_000, w.promise);
    assert.ok(samples);
    // Samples every interval through the work; the work ends during the one at 5000; one more right after.
    assert.deepStrictEqual(r.startedAt, [0, 1_000, 2_000, 3_000, 4_000, 5_000, 5_100]);
  });

  it("a failed sample while the work runs restarts the count", async () => {
    const w = workEndingAt(2_500);
    const r = rig(100, (t) => t !== 1_000, w.onSample);
    await awaitClusterGateAlongside(r.ctx, 60_000, w.promise);
    // 1000 fails; 2000, 3000 (the work ends during it), 4000: three in a row, the last after the work.
    assert.deepStrictEqual(r.startedAt, [0, 1_000, 2_000, 3_000, 4_000]);
  });

  it("the work's failure stops the loop with no verdict (the caller throws the work's own error)", async () => {
    const w = workEndingAt(1_000, true);
    const r = rig(100, () => true, w.onSample);
    assert.strictEqual(await awaitClusterGateAlongside(r.ctx, 60_000, w.promise), undefined);
    assert.deepStrictEqual(r.startedAt, [0, 1_000]);
  });

  it("never healthy: fails at the deadline counted from the end of the work, as when it ran after it", async () => {
    const w = workEndingAt(3_000);
    const r = rig(100, () => false, w.onSample);
    await assert.rejects(awaitClusterGateAlongside(r.ctx, 2_000, w.promise), /did not hold 3 samples in a row within 2s/);
    assert.strictEqual(r.startedAt[r.startedAt.length - 1], 5_000);
  });
});
