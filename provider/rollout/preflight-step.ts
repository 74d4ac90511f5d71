/**
 * Before the first node is touched: read-only checks, what would make
 * CockroachDB refuse to finalize, the release staged and verified on every
 * node, the way back verified; then the cluster gate must hold (a node
 * restarted shortly before this run may still be catching up).
 */
import { GateFailed } from "../core/errors";
import { preflightProblems } from "./gates";
import { awaitClusterGate, awaitClusterGateAlongside, bakeWithGate } from "./gate-loops";
import { blockerContextFor, preflightBlockers } from "../cluster/preflight-blockers";
import type { Observation } from "../cluster/observe";
import { judgeDrainWarnings } from "../cluster/lb-drain";
import { verifyRollbackMaterial } from "./rollback-material";
import { isDowngrade, stageEverywhere } from "./staging";
import type { RunState } from "./run-state";
import type { Plan } from "../core/types";

const refused = (what: string): GateFailed => new GateFailed("preflight", `refused, no node was touched: ${what}`);

/** Read-only checks, then the release staged and verified on every node. Nothing is touched before this passes. */
export async function preflight(run: RunState, obs: Observation, plan: Plan): Promise<void> {
  const { spec, handles, signal, reader } = run.ctx;
  await run.recorder.phase("preflight", undefined, async () => {
    const problems = preflightProblems(obs, {
      target: spec.version,
      resuming: plan.skip.length > 0,
      allowDowntime: spec.strategy.allowDowntime,
    });
    if (problems.length > 0) throw refused(problems.join("; "));
    // What would make CockroachDB refuse to finalize (licence, invalid objects, decommissioning nodes, jobs).
    const found = await preflightBlockers(reader, blockerContextFor(spec, plan, obs.cluster.clusterVersion, Date.now()));
    for (const w of found.warnings) run.recorder.note(w);
    if (found.refusals.length > 0) throw refused(found.refusals.join("; "));
  });
  // The settings the plan's estimate read (run.ts): none read (SQL down) judges as unknown, as a failed read does.
  for (const w of judgeDrainWarnings(spec.strategy, run.drainSettings ?? {})) run.recorder.note(w);
  const refuse = (e: Error): never => {
    throw refused(e.message);
  };
  const mctx = { spec, handles, signal, note: (m: string) => run.recorder.note(m) };
  await run.recorder.phase("stage-release", undefined, async () => {
    run.staged = await stageEverywhere(spec, handles, signal, spec.version, { fromOld: isDowngrade(plan) }).catch(refuse);
    // The way back, verified as the target is (rollback-material.ts).
    run.material = await verifyRollbackMaterial(mctx, obs, plan).catch(refuse);
  });
}

/**
 * A node restarted shortly before this run (by hand, a crash, a host
 * reboot) may still be catching up its Raft log, which the pre-flight
 * snapshot cannot see; restarting the first node now could lose quorum
 * (#101321). The cluster gate, on repeated samples, must hold first.
 *
 * It runs beside the pre-roll steps (`preRoll`: pre-flight, staging, hooks;
 * all read-only for the cluster's health) rather than after them, and holds
 * until they are done (gate-loops.ts awaitClusterGateAlongside): the first
 * node is touched only after a streak whose last sample began after them, as
 * before, without adding the streak's time to theirs. A failure of the steps
 * is thrown as it is.
 */
export async function settleBeforeFirst(run: RunState, preRoll: Promise<void>): Promise<void> {
  const { spec } = run.ctx;
  const gate = run.recorder.phase("await-cluster", undefined, async () => {
    const samples = await awaitClusterGateAlongside(run.gate(), spec.strategy.deadlines.clusterMs, preRoll).catch((e: Error) => {
      throw refused(e.message);
    });
    if (samples === undefined) throw new GateFailed("await-cluster", "stopped: the pre-flight steps beside it failed");
    return samples;
  });
  const [steps, held] = await Promise.allSettled([preRoll, gate]);
  if (steps.status === "rejected") throw steps.reason;
  if (held.status === "rejected") throw held.reason;
}

/**
 * Resuming: the interrupted run may have restarted its last node moments
 * ago, and that node may still be catching up; restarting the next one now
 * could lose quorum (#101321). Hold the gate for one bake first.
 */
export async function settleBeforeResuming(run: RunState): Promise<void> {
  const { spec } = run.ctx;
  run.ctx.emit({
    type: "note",
    message: `resuming (${run.plan?.skip.join(", ")} already on ${spec.version}): holding the cluster gate for ${Math.round(spec.strategy.waitAfterRejoinMs / 1000)}s before touching the next node`,
  });
  await run.recorder.phase("await-cluster", undefined, () => awaitClusterGate(run.gate(), spec.strategy.deadlines.clusterMs));
  await run.recorder.phase("bake", undefined, () => bakeWithGate(run.gate(undefined, "bake"), spec.strategy.waitAfterRejoinMs));
}
