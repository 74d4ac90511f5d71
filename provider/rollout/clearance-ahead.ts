/**
 * The next batch's clearance — the lease confirmed and the guard's look
 * (guarded.ts: every node's process, liveness, readiness; the critical-nodes
 * check) — begun as the current batch's bake takes its last sample
 * (gate-loops.ts bakeWithGate's `atRelease`), beside that sample instead of
 * after it. Both start at or after the release moment; the next drain waits
 * for both (roll-batch.ts), so the next node is still touched only once the
 * bake passed, the gate's last sample held and the guard said go, and no
 * later than before: the look is one sample's time older at most, never
 * taken before the release. A bake that fails abandons it (its wait, if the
 * guard was waiting, stops; nothing was touched).
 *
 * Only a batch known without reading the cluster is looked at ahead: the
 * next part of a batch already proven, or a next batch of one node (a
 * locality batch is proven right before it, roll-batch.ts provenNow).
 */
import type { NodePosition } from "../core/events";
import type { PlanBatch } from "../core/types";
import type { RunState } from "./run-state";

export class ClearanceAhead {
  private readonly stop = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly run: RunState,
    readonly batch: PlanBatch,
    private readonly at: NodePosition,
  ) {}

  /** Begins the look (once); its outcome is awaited by the batch's roll. */
  begin(): void {
    if (this.running) return;
    const { run, batch, at } = this;
    const lead = run.handle(batch.nodes[0]).spec;
    this.running = Promise.all([
      run.lease?.confirm("drain", lead),
      run.guard(batch.nodes, "drain", at, { signal: this.stop.signal, ahead: true }),
    ]).then(() => undefined);
    // Awaited (or abandoned) by the next roll; never an unhandled rejection meanwhile.
    this.running.catch(() => undefined);
  }

  /** The clearance begun for exactly `batch`'s nodes, if any; otherwise it is abandoned. */
  clearanceFor(batch: PlanBatch): Promise<void> | undefined {
    if (this.running && sameNodes(batch, this.batch)) return this.running;
    this.abandon();
    return undefined;
  }

  abandon(): void {
    if (!this.stop.signal.aborted) this.stop.abort(new Error("the look ahead was not used"));
  }
}

/** The batch after `parts[i]` when it is known now: the next part, or a next batch of one node. */
export function nextKnown(parts: readonly PlanBatch[], i: number, nextBatch: PlanBatch | undefined): PlanBatch | undefined {
  if (i + 1 < parts.length) return parts[i + 1];
  return nextBatch && nextBatch.nodes.length === 1 ? nextBatch : undefined;
}

function sameNodes(a: PlanBatch, b: PlanBatch): boolean {
  return a.nodes.length === b.nodes.length && a.nodes.every((n, i) => b.nodes[i] === n);
}
