/**
 * Evidence before rollback (the procedure's step 3.1): on a failure mid-roll,
 * before anything is rolled back, a `cockroach debug zip` of the cluster,
 * taken through a live node that is not the failed one, copied to the
 * machine that runs the provider. A rollback restarts nodes and so wipes the
 * state that explains the failure; the zip keeps it for the postmortem (or
 * for Cockroach Labs support, which asks for exactly this).
 *
 * It is bounded (hooks.debugZipDeadline) and never blocks the rollback: a
 * zip that fails or runs out of time is noted, and the rollback goes on.
 *
 * The zip is written on the node (under its staging dir), then copied here
 * (NodeOps.fetchFile: base64 chunks through commands, so the same code runs
 * over SSH, checked against the node's sha256sum), and removed from the node. The `--host` it connects to comes from NodeOps.debugZip,
 * the one place that builds it. `cockroach debug zip <file> --host=<node>`
 * collects cluster-wide tables and every live node's status and logs through
 * that one node; per-node data only from live nodes (DOCS v24.1 cockroach-debug-zip.md; CR pkg/cli/zip_cmd.go, debugZipCmd).
 */
import * as os from "os";
import * as path from "path";
import type { ClusterReader } from "../cluster/reader";
import { formatDuration } from "../core/duration";
import { ReadFailed, messageOf, rewordError } from "../core/errors";
import type { NodeHandle } from "../node/handle";
import { deadlineSignal } from "../core/timing";
import type { DebugZipRecord, Spec } from "../core/types";

export interface EvidenceContext {
  readonly spec: Spec;
  readonly handles: readonly NodeHandle[];
  readonly reader: ClusterReader;
  /** The caller's signal (not the overall deadline, which may have fired already: the evidence is wanted all the more). */
  readonly signal?: AbortSignal;
  readonly runId: string;
  /** What failed: the node it names is not asked. */
  readonly failed: unknown;
  readonly note: (message: string) => void;
}

/** Takes the zip when hooks.debugZipOnFailure; undefined when it is off. Never throws. */
export async function captureDebugZipOnFailure(ctx: EvidenceContext): Promise<DebugZipRecord | undefined> {
  if (!ctx.spec.hooks.debugZipOnFailure) return undefined;
  const ms = ctx.spec.hooks.debugZipDeadlineMs;
  const dl = deadlineSignal(ms, ctx.signal);
  const failedNode = failedNodeOf(ctx.failed);
  let node: string | undefined;
  try {
    const h = await pickLiveNode(ctx, failedNode, dl.signal);
    if (!h) throw new ReadFailed(`no live node${failedNode ? ` other than ${failedNode}` : ""} to take it through`);
    node = h.spec.name;
    const until = Date.now() + ms;
    const remote = path.posix.join(h.spec.stagingDir, "evidence", `debug-zip-${ctx.runId}.zip`);
    await h.ops.clearFile(remote, dl.signal);
    await h.ops.debugZip(remote, Math.max(1000, until - Date.now()), dl.signal);
    const local = path.join(evidenceDir(ctx.runId), `debug-zip-${h.spec.name}.zip`);
    await h.ops.fetchFile(remote, local, dl.signal);
    await h.ops.removeFile(remote, dl.signal).catch(() => undefined);
    ctx.note(`debug zip taken through ${node} before any rollback: ${local}`);
    return { node, path: local };
  } catch (e) {
    const why = dl.signal.aborted && !ctx.signal?.aborted ? `did not finish within ${formatDuration(ms)}` : messageOf(e);
    ctx.note(`debug zip before the rollback failed (the rollback was not held up): ${why}`);
    return { ...(node !== undefined && { node }), error: why };
  } finally {
    dl.dispose();
  }
}

/** A line for the error message, after its first line (which says what failed and what the rollback did). */
export function withEvidence<E extends Error>(error: E, zip: DebugZipRecord | undefined): E {
  if (!zip) return error;
  const line = zip.path
    ? `debug zip (taken through ${zip.node} before the rollback): ${zip.path}`
    : `debug zip before the rollback failed: ${zip.error}`;
  // The same kind of error (rewordError): the final error of a failed run keeps its type.
  return rewordError(error, (message) => {
    const [head, ...tail] = message.split("\n");
    return [head, line, ...tail].join("\n");
  });
}

/** The local directory for a run's evidence. */
export function evidenceDir(runId: string): string {
  return path.join(os.tmpdir(), "crdb-upgrade-evidence", runId);
}

/** The node a failure names ("<phase> node <name> (<host>): ..."), if any. */
export function failedNodeOf(e: unknown): string | undefined {
  const named = (e as { node?: { name?: unknown } } | undefined)?.node?.name;
  if (typeof named === "string") return named;
  const m = /^[a-z-]+ node (\S+) \(/.exec(messageOf(e));
  return m?.[1];
}

/** The first node, in spec order, that is not the failed one and answers /health; a ready one first. */
async function pickLiveNode(ctx: EvidenceContext, failed: string | undefined, signal: AbortSignal): Promise<NodeHandle | undefined> {
  const candidates = ctx.handles.filter((h) => h.spec.name !== failed);
  const checks = await Promise.all(
    candidates.map(async (h) => {
      const [ready, live] = await Promise.all([ctx.reader.health(h.spec, true, signal), ctx.reader.health(h.spec, false, signal)]);
      return { h, ready: ready.status === 200, live: live.status === 200 };
    }),
  );
  return (checks.find((c) => c.ready) ?? checks.find((c) => c.live))?.h;
}
