/**
 * The gate's waiting loops, on the context's clock and sampler (gates.ts says
 * what one sample is; plan/time-model.ts says how long the waits are).
 *
 * After a restart, one node (or batch) goes through:
 *   awaitNodeReady   -> the rejoin: ready, live, target build;
 *   awaitClusterGate -> catch-up over and the gate held on gateSamples
 *                       consecutive samples (a failed sample restarts the
 *                       count; unavailable ranges fail a forward roll at once);
 *   bakeWithGate     -> held until the bake and the re-check delay have both
 *                       passed since the rejoin; any failed sample fails it.
 * From the first sample of the confirmed streak to the return of
 * bakeWithGate, the gate held on every sample, the last one taken at or after
 * the release time: the next node is touched only then.
 */
import { GateFailed } from "../core/errors";
import type { NodeSpec } from "../core/types";
import { readyPollMs } from "../core/timing";
import { releaseAt } from "../plan/time-model";
import { nodeNotReadyReason, sampleClusterGate, type ClusterSample, type GateContext } from "./gates";
import { realClock, type Clock } from "./guard";

const clockOf = (ctx: GateContext): Clock => ctx.clock ?? realClock;

async function sampleOnce(ctx: GateContext): Promise<ClusterSample> {
  const sample = await (ctx.sample ? ctx.sample() : sampleClusterGate(ctx.reader, ctx.nodes, ctx.signal));
  // A sample cut short by the run's abort (the overall deadline, the watch, the caller) is no verdict on
  // the cluster: the abort's own reason is what stopped the run.
  if (ctx.signal?.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error(String(ctx.signal.reason));
  return sample;
}

/** Waits for `gateSamples` consecutive healthy samples. Throws GateFailed at the deadline. */
export async function awaitClusterGate(ctx: GateContext, deadlineMs: number, node?: NodeSpec): Promise<ClusterSample[]> {
  const clock = clockOf(ctx);
  const until = clock.now() + deadlineMs;
  const samples: ClusterSample[] = [];
  let streak = 0;
  for (;;) {
    const startedAt = clock.now();
    const s = await sampleOnce(ctx);
    samples.push(s);
    ctx.onSample?.(s);
    streak = s.ok ? streak + 1 : 0;
    if (streak >= ctx.strategy.gateSamples) return samples;
    if (ctx.failOnUnavailable && (s.unavailable ?? 0) > 0) {
      const e = new GateFailed(
        "await-cluster",
        `quorum lost: ${s.detail} (a node restarted earlier may not have caught up yet; consider a longer waitAfterRejoin)`,
        subject(node),
      );
      throw Object.assign(e, { samples });
    }
    // Samples start every interval (a slow sample does not push the next one later); the next at `next`.
    const next = startedAt + ctx.strategy.gateIntervalMs;
    if (next > until) {
      const e = new GateFailed(
        "await-cluster",
        `cluster gate did not hold ${ctx.strategy.gateSamples} samples in a row within ${Math.round(deadlineMs / 1000)}s: ${s.detail}`,
        subject(node),
      );
      throw Object.assign(e, { samples });
    }
    await clock.sleep(Math.max(0, next - clock.now()), ctx.signal);
  }
}

/**
 * awaitClusterGate run beside `work` (the pre-roll steps: pre-flight, staging,
 * hooks), instead of after it: returns the work's result once the gate held
 * on `gateSamples` consecutive samples AND a sample of that streak started
 * after the work ended — the gate held, continuously, up to the moment the
 * first node may be touched, exactly as when it ran after the work. A failed
 * sample restarts the count; the deadline counts from the end of the work,
 * as it did when the wait began there. When the work fails the loop stops
 * after the sample in flight and resolves `undefined` (no verdict: the
 * caller throws the work's own error); on the gate's failure the work is
 * awaited first, so nothing of it goes on behind the error.
 */
export async function awaitClusterGateAlongside(
  ctx: GateContext,
  deadlineMs: number,
  work: Promise<unknown>,
): Promise<ClusterSample[] | undefined> {
  const clock = clockOf(ctx);
  const t0 = clock.now();
  let outcome: "ok" | "failed" | undefined;
  let endedAt = Infinity;
  const ended = work.then(
    () => void ((outcome = "ok"), (endedAt = clock.now())),
    () => void ((outcome = "failed"), (endedAt = clock.now())),
  );
  const samples: ClusterSample[] = [];
  let streak = 0;
  for (;;) {
    if (outcome === "failed") return undefined;
    const startedAt = clock.now();
    const s = await sampleOnce(ctx).catch(async (e: unknown) => {
      await ended;
      throw e;
    });
    samples.push(s);
    ctx.onSample?.(s);
    streak = s.ok ? streak + 1 : 0;
    if (streak >= ctx.strategy.gateSamples && outcome === "ok" && endedAt <= startedAt) return samples;
    const next = startedAt + ctx.strategy.gateIntervalMs;
    if (streak < ctx.strategy.gateSamples && next > Math.max(t0, endedAt) + deadlineMs) {
      await ended;
      const e = new GateFailed(
        "await-cluster",
        `cluster gate did not hold ${ctx.strategy.gateSamples} samples in a row within ${Math.round(deadlineMs / 1000)}s: ${s.detail}`,
      );
      throw Object.assign(e, { samples });
    }
    const ms = Math.max(0, next - clock.now());
    // The streak complete, only the work to wait for: sample as soon as it ends (at once if it ended during
    // the sample just taken), not a whole interval later.
    if (streak < ctx.strategy.gateSamples) await clock.sleep(ms, ctx.signal).catch(() => undefined);
    else if (outcome === undefined) await sleepUnless(clock, ms, ended, ctx.signal);
    if (ctx.signal?.aborted) {
      await ended;
      throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error(String(ctx.signal.reason));
    }
  }
}

/** Sleeps `ms` on the clock, cut short (resolving) when `until` settles or `signal` aborts. */
async function sleepUnless(clock: Clock, ms: number, until: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  const wake = new AbortController();
  const stop = (): void => wake.abort();
  signal?.addEventListener("abort", stop, { once: true });
  void until.then(stop);
  try {
    await clock.sleep(ms, wake.signal).catch(() => undefined);
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}

/**
 * After awaitClusterGate: holds the gate, sampling every interval, until both
 * the bake and the re-check delay have passed since `rejoinedAt` (the rejoin
 * the caller saw: awaitNodeReady's return); the first failed sample throws.
 * When that moment has already passed, the streak's last sample (taken just
 * now) is the last word: nothing more to wait. Without `rejoinedAt` (a resume,
 * the bake before finalizing: no rejoin seen by this run) the hold counts from
 * now, as it always did.
 */
export function bakeWithGate(
  ctx: GateContext,
  bakeMs: number,
  node?: NodeSpec,
  rejoinedAt?: number,
  atRelease?: () => void,
): Promise<ClusterSample[]> {
  const now = clockOf(ctx).now();
  const until = releaseAt(rejoinedAt ?? now, bakeMs, ctx.strategy);
  if (rejoinedAt !== undefined && until <= now) {
    atRelease?.();
    return Promise.resolve([]);
  }
  return holdGate(
    ctx,
    until,
    (detail) => new GateFailed("bake", `cluster gate failed during the bake: ${detail}`, subject(node)),
    atRelease,
  );
}

/**
 * The post-roll watch window (strategy.watch): the cluster gate sampled every
 * interval for `windowMs`; the first failed sample fails the window (the
 * whole-cluster watch catches a crash in between).
 */
export function watchWindow(ctx: GateContext, windowMs: number): Promise<ClusterSample[]> {
  const until = clockOf(ctx).now() + windowMs;
  return holdGate(ctx, until, (detail) => new GateFailed("watch", `cluster gate failed inside the watch window: ${detail}`));
}

/**
 * The gate sampled every interval until `until` (last sample at or after it); the first failed sample throws
 * `failure(detail)` carrying the samples. Samples start every interval, and the last one starts at `until`
 * exactly (the wait wakes on the deadline, not on the next tick); a sample that would still be running at
 * `until` (judged by the previous one's duration) is skipped for it, so the last is not delayed by one
 * straddling the release. `atRelease` is called once, as that last sample starts: the caller may begin
 * what comes next (the next node's guard look) beside it.
 */
async function holdGate(
  ctx: GateContext,
  until: number,
  failure: (detail: string) => GateFailed,
  atRelease?: () => void,
): Promise<ClusterSample[]> {
  const clock = clockOf(ctx);
  const samples: ClusterSample[] = [];
  let next = clock.now() + ctx.strategy.gateIntervalMs;
  let took = 0;
  for (;;) {
    // A sample that would still run at the release moment is not taken: the wait goes to the release itself.
    const wake = next < until && next + took > until ? until : Math.min(next, until);
    await clock.sleep(Math.max(0, wake - clock.now()), ctx.signal);
    const startedAt = clock.now();
    const last = startedAt >= until;
    if (last) atRelease?.();
    next = startedAt + ctx.strategy.gateIntervalMs;
    const s = await sampleOnce(ctx);
    took = clock.now() - startedAt;
    samples.push(s);
    ctx.onSample?.(s);
    if (!s.ok) throw Object.assign(failure(s.detail), { samples });
    if (last) return samples;
  }
}

/** The restarted node: ready, live, and on the expected build (gossip and its own metrics agree). */
export async function awaitNodeReady(ctx: GateContext, node: NodeSpec, build: string, deadlineMs: number): Promise<void> {
  const clock = clockOf(ctx);
  const until = clock.now() + deadlineMs;
  for (;;) {
    const why = await nodeNotReadyReason(ctx.reader, node, build, ctx.signal);
    if (why === "") return;
    if (clock.now() > until)
      throw new GateFailed("await-node", `not ready on ${build} within ${Math.round(deadlineMs / 1000)}s: ${why}`, subject(node));
    await clock.sleep(readyPollMs(ctx.strategy.gateIntervalMs), ctx.signal);
  }
}

function subject(node?: NodeSpec): { name: string; host: string } | undefined {
  return node ? { name: node.name, host: node.sqlAddr.host } : undefined;
}
