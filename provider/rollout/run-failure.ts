/**
 * What a failed run does: find the real cause (the watch's failure, or a
 * node other than the one in hand found down), capture evidence, roll back
 * what this upgrade moved when that is allowed, and say all of it in one
 * error that keeps the cause's kind.
 */
import { isLeaseLost, restate } from "../core/errors";
import { rollBack } from "./rollback";
import { captureDebugZipOnFailure, withEvidence } from "./failure-evidence";
import type { RunState } from "./run-state";
import type { RolloutRecord } from "../core/types";

export interface RunFailure {
  readonly outcome: RolloutRecord["outcome"];
  readonly error: Error;
}

/** Rolls back what this upgrade moved (when allowed), and says what happened. */
export async function failRun(run: RunState, thrown: Error): Promise<RunFailure> {
  const { spec } = run.ctx;
  const e = await blame(run, thrown);
  // Nothing touched (pre-flight, staging, hooks refused): nothing to undo, not even an earlier run's nodes.
  if (run.touched.length === 0) return { outcome: "failed", error: e };
  // Every node passed its gates: a finalization that cannot start or finish is reported, not undone.
  if (run.rolled) return { outcome: "failed", error: e };
  // Another run holds the cluster now: undoing our nodes would fight it.
  if (isLeaseLost(e)) return { outcome: "failed", error: e };
  if (run.callerSignal?.aborted) {
    return { outcome: "failed", error: restate(e, `${e.message}; interrupted: nodes left as they are (run the update again to resume)`) };
  }
  run.ctx = { ...run.ctx, signal: run.callerSignal };
  // Evidence before any rollback (the procedure's step 3.1); never blocks what follows.
  const zip = await captureDebugZipOnFailure({ ...run.ctx, runId: run.runId, failed: e, note: (m) => run.recorder.note(m) });
  run.recorder.debugZip = zip;
  if (!spec.strategy.rollbackOnFailure) {
    return { outcome: "failed", error: withEvidence(restate(e, `${e.message}; rollbackOnFailure is false: nodes left as they are`), zip) };
  }
  const held = await run.lease?.confirm("rollback").then(
    () => undefined,
    (lost: Error) => lost,
  );
  if (held) return { outcome: "failed", error: withEvidence(restate(e, `${e.message}; no rollback: ${held.message}`), zip) };
  const rb = await rollBack({
    ...run.ctx,
    recorder: run.recorder,
    gate: run.gate(undefined, "rollback"),
    touched: run.touched,
    skippedOnTarget: skippedOnTarget(run),
    cause: e.message,
    block: run.block,
    material: run.material,
  });
  run.block = rb.block;
  // The outcome goes before any log tail the cause carries, so the first line says it all.
  const [head, ...tail] = e.message.split("\n");
  const outcome = rb.ok
    ? `rolled back ${rb.nodes.join(", ") || "nothing"} to ${rb.builds.join(", ")}`
    : rb.advice
      ? `ROLLBACK STOPPED (no node taken down beyond the budget; resumable): ${rb.error}`
      : `ROLLBACK FAILED: ${rb.error}`;
  const error = withEvidence(restate(e, [`${head}; ${outcome}`, ...tail].join("\n")), zip);
  return { outcome: rb.ok ? "rolled-back" : "failed", error };
}

/** Nodes an earlier, interrupted run of this upgrade moved: on the target, with an older build kept as _old. */
function skippedOnTarget(run: RunState) {
  const { spec } = run.ctx;
  return (run.plan?.skip ?? [])
    .filter((n) => {
      const prev = run.observation?.nodes.find((o) => o.name === n)?.previousBuild;
      return run.material?.has(n) || (prev !== undefined && prev !== spec.version);
    })
    .map((n) => run.handle(n));
}

/**
 * The real cause: the watch's failure when it aborted the run, or a node
 * other than the one in hand found down now (an upgraded node that crashed,
 * a peer that died) when a gate failed because of it.
 */
async function blame(run: RunState, e: Error): Promise<Error> {
  const w = run.watch;
  // After the roll, a failure is finalization's own, and its message already names the blocking node.
  if (!w || run.rolled) return e;
  if (w.failure) return w.failure;
  if (run.callerSignal?.aborted) return e;
  const other = await w.blameOther(run.inHand).catch(() => undefined);
  if (!other) return e;
  return restate(other, `${other.message}\n(the step that failed: ${e.message.split("\n")[0]})`);
}
