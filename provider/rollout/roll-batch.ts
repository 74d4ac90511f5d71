/**
 * One batch (usually one node) through the guarded transition: lease check,
 * guard, journal, drain, guard again, stop, swap, start, await the node,
 * await the cluster, bake. Every drain and stop goes through the guarded
 * path first; every phase is told to the whole-cluster watch.
 */
import { GateFailed, subjectOf } from "../core/errors";
import type { NodePosition } from "../core/events";
import { awaitClusterGate, awaitNodeReady, bakeWithGate } from "./gate-loops";
import { oneAtATime } from "../plan/plan";
import { alone } from "./each-alone";
import { proveDown } from "../cluster/placement";
import type { StagedByNode } from "./staging";
import type { RunState } from "./run-state";
import type { PlanBatch } from "../core/types";

export interface BatchPosition {
  readonly first: number;
  readonly total: number;
}

/** What the run loop (run.ts) hands over between batches: the look already taken, and when to take the next. */
export interface BatchAhead {
  /** This batch's clearance, begun during the previous batch's last bake sample (clearance-ahead.ts). */
  readonly cleared?: Promise<void>;
  /** Called as this batch's bake takes its last sample (the next batch's look begins beside it). */
  readonly atRelease?: () => void;
}

export async function rollBatch(
  run: RunState,
  batch: PlanBatch,
  staged: StagedByNode,
  pos: BatchPosition,
  ahead: BatchAhead = {},
): Promise<void> {
  const { spec, reader } = run.ctx;
  const d = spec.strategy.deadlines;
  const members = batch.nodes.map((name, i) => ({
    h: run.handle(name),
    at: { node: name, index: pos.first + i, total: pos.total } as NodePosition,
  }));
  const started = Date.now();
  if (ahead.cleared) {
    // The lease and the guard's look were taken beside the previous bake's last sample.
    run.inHand = batch.nodes;
    run.watch?.doing("drain", members[0].at.node);
    await ahead.cleared;
  } else {
    // The node boundary: only the lease holder may touch the next node.
    await run.lease?.confirm("drain", members[0].h.spec);
    run.startWatch();
    run.inHand = batch.nodes;
    // The guarded path: the budget counts every node down now, whoever took it down.
    await run.guard(batch.nodes, "drain", members[0].at);
  }
  const each = (fn: (m: (typeof members)[number]) => Promise<unknown>) => Promise.all(members.map(fn));
  await each(async ({ h }) => {
    run.touched.push(h);
    await h.ops.writeJournal(
      { target: spec.version, from: run.plan?.from, phase: "drain", at: new Date().toISOString(), direction: "upgrade" },
      run.opSignal,
    );
  });
  run.watch?.hold(batch.nodes);
  await reader.avoid(batch.nodes);
  await alone(members, ({ h, at }, step) => step(() => run.step("drain", at, () => h.ops.drain(d.drainMs, run.opSignal))));
  // Draining nodes still vote: stopping them is checked again (a peer may have died meanwhile).
  await run.guard(batch.nodes, "stop", members[0].at);
  // The guard cleared the whole batch: from here each node goes on alone (stop, swap, start, ready), never
  // waiting for another node's slowest phase (alone()).
  const gate = run.gate();
  const avoided = new Set(batch.nodes);
  await alone(members, async ({ h, at }, step) => {
    await step(() =>
      run.step("stop", at, async () => {
        const r = await h.ops.stop(d.stopMs, run.opSignal);
        if (r.escalated)
          run.recorder.annotate(h.spec.name, "stop", `no exit within ${Math.round(d.stopMs / 1000)}s of SIGTERM: sent SIGKILL`);
      }),
    );
    const s = staged.get(h.spec.name);
    if (!s) throw new GateFailed("swap-binary", "release not staged", subjectOf(h.spec));
    await step(() =>
      run.step("swap-binary", at, () => h.ops.swapBinary({ source: s.binary, keepPrevious: true, libDir: s.libDir }, run.opSignal)),
    );
    await step(() => run.step("start", at, () => h.ops.start(d.startMs, run.opSignal)));
    // Started: it may serve SQL again (a single-node cluster has no other gateway for its own ready check).
    avoided.delete(h.spec.name);
    await reader.avoid([...avoided]);
    await step(() => run.step("await-node", at, () => awaitNodeReady(gate, h.spec, spec.version, d.readyMs)));
  });
  await reader.avoid([]);
  // The bake counts from the rejoin (plan/time-model.ts): catch-up and the gate's streak run inside it.
  const rejoinedAt = Date.now();
  run.watch?.release(batch.nodes);
  // Every node of the batch rejoined: the journals go while the gate samples (a batch of 10 spends a
  // second on them otherwise); the bake waits for them, so no node is left journaled behind the run.
  const cleared = each(({ h }) => h.ops.clearJournal(run.opSignal));
  cleared.catch(() => undefined);
  const lead = members[0];
  run.watch?.doing("await-cluster", lead.at.node);
  await run.recorder.phase(
    "await-cluster",
    lead.at,
    () => awaitClusterGate(run.gate(lead.at), d.clusterMs, lead.h.spec),
    (s) => s,
  );
  await cleared;
  run.watch?.doing("bake", lead.at.node);
  await run.recorder.phase(
    "bake",
    lead.at,
    () => bakeWithGate(run.gate(lead.at, "bake"), batch.bakeMs, lead.h.spec, rejoinedAt, ahead.atRelease),
    (s) => s,
  );
  run.inHand = [];
  for (const { h, at } of members) {
    run.recorder.node(h.spec.name, { outcome: "upgraded" });
    run.ctx.emit({ type: "node-done", at, outcome: "upgraded", durationMs: Date.now() - started });
  }
}

/**
 * Several nodes go down together only if replica placement proves it right
 * now: it moves between batches (rebalancing, a node lost), so the plan's
 * proof is re-checked before each batch. Not proven: one node at a time.
 */
export async function provenNow(run: RunState, batch: PlanBatch): Promise<readonly PlanBatch[]> {
  if (batch.nodes.length < 2) return [batch];
  const { spec, reader, emit } = run.ctx;
  const verdict = await proveDown(reader, spec.nodes, batch.nodes);
  const what = `locality ${batch.locality ?? "(none)"} (${batch.nodes.join(", ")})`;
  if (verdict.safe) {
    emit({ type: "note", message: `${what} proven safe to stop together: ${verdict.reason}` });
    return [batch];
  }
  run.recorder.note(`${what} rolls one node at a time: not provably safe to stop together now: ${verdict.reason}`);
  return oneAtATime(batch, spec.strategy.waitAfterRejoinMs);
}
