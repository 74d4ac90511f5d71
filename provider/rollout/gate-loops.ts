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
    if (clock.now() + ctx.strategy.gateIntervalMs > until) {
      const e = new GateFailed(
        "await-cluster",
        `cluster gate did not hold ${ctx.strategy.gateSamples} samples in a row within ${Math.round(deadlineMs / 1000)}s: ${s.detail}`,
        subject(node),
      );
      throw Object.assign(e, { samples });
    }
    await clock.sleep(ctx.strategy.gateIntervalMs, ctx.signal);
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
export function bakeWithGate(ctx: GateContext, bakeMs: number, node?: NodeSpec, rejoinedAt?: number): Promise<ClusterSample[]> {
  const now = clockOf(ctx).now();
  const until = releaseAt(rejoinedAt ?? now, bakeMs, ctx.strategy);
  if (rejoinedAt !== undefined && until <= now) return Promise.resolve([]);
  return holdGate(ctx, until, (detail) => new GateFailed("bake", `cluster gate failed during the bake: ${detail}`, subject(node)));
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

/** The gate sampled every interval until `until` (last sample at or after it); the first failed sample throws `failure(detail)` carrying the samples. */
async function holdGate(ctx: GateContext, until: number, failure: (detail: string) => GateFailed): Promise<ClusterSample[]> {
  const clock = clockOf(ctx);
  const samples: ClusterSample[] = [];
  for (;;) {
    const left = until - clock.now();
    await clock.sleep(Math.max(0, Math.min(ctx.strategy.gateIntervalMs, left)), ctx.signal);
    const s = await sampleOnce(ctx);
    samples.push(s);
    ctx.onSample?.(s);
    if (!s.ok) throw Object.assign(failure(s.detail), { samples });
    if (clock.now() >= until) return samples;
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
