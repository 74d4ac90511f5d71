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
 * through the node's transport in base64 chunks (commands only, so the same
 * code runs over SSH), checked against the node's sha256sum, and removed
 * from the node. The `--host` it connects to comes from NodeOps.debugZip,
 * the one place that builds it. `cockroach debug zip <file> --host=<node>`
 * collects cluster-wide tables and every live node's status and logs through
 * that one node; per-node data only from live nodes (DOCS v24.1 cockroach-debug-zip.md; CR pkg/cli/zip_cmd.go, debugZipCmd).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ClusterReader } from "../cluster/reader";
import { formatDuration } from "../core/duration";
import { messageOf, restate } from "../core/errors";
import type { NodeHandle } from "../cluster/observe";
import { deadlineSignal } from "../core/timing";
import { shellQuote } from "../transport/transport";
import type { DebugZipRecord, Spec } from "../core/types";

/** Per copy command: 2 MiB of zip is ~2.7 MiB of base64, well inside a transport's output cap. */
const CHUNK_BYTES = 2 * 1024 * 1024;
const SMALL_TIMEOUT_MS = 60_000;

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
    if (!h) throw new Error(`no live node${failedNode ? ` other than ${failedNode}` : ""} to take it through`);
    node = h.spec.name;
    const until = Date.now() + ms;
    const remote = path.posix.join(h.spec.stagingDir, "evidence", `debug-zip-${ctx.runId}.zip`);
    await run(h, `mkdir -p ${shellQuote(path.posix.dirname(remote))} && rm -f ${shellQuote(remote)}`, dl.signal);
    await h.ops.debugZip(remote, Math.max(1000, until - Date.now()), dl.signal);
    const local = path.join(evidenceDir(ctx.runId), `debug-zip-${h.spec.name}.zip`);
    await copyFromNode(h, remote, local, dl.signal);
    await run(h, `rm -f ${shellQuote(remote)}`, dl.signal).catch(() => undefined);
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
export function withEvidence(error: Error, zip: DebugZipRecord | undefined): Error {
  if (!zip) return error;
  const line = zip.path
    ? `debug zip (taken through ${zip.node} before the rollback): ${zip.path}`
    : `debug zip before the rollback failed: ${zip.error}`;
  const [head, ...tail] = error.message.split("\n");
  return restate(error, [head, line, ...tail].join("\n"));
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

async function copyFromNode(h: NodeHandle, remote: string, local: string, signal: AbortSignal): Promise<void> {
  const f = shellQuote(remote);
  const stat = await run(h, `wc -c < ${f} && sha256sum ${f}`, signal);
  const [sizeLine, sumLine] = stat.split("\n");
  const size = Number(sizeLine.trim());
  const want = sumLine?.trim().split(/\s+/)[0];
  if (!Number.isInteger(size) || size <= 0 || !want) throw new Error(`${remote} on ${h.spec.name} is empty or unreadable`);
  fs.mkdirSync(path.dirname(local), { recursive: true });
  const fd = fs.openSync(`${local}.part`, "w");
  const hash = crypto.createHash("sha256");
  try {
    for (let i = 0; i * CHUNK_BYTES < size; i++) {
      const b64 = await run(h, `dd if=${f} bs=${CHUNK_BYTES} skip=${i} count=1 2>/dev/null | base64`, signal);
      const chunk = Buffer.from(b64.replace(/\s+/g, ""), "base64");
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  const got = hash.digest("hex");
  if (got !== want) {
    fs.rmSync(`${local}.part`, { force: true });
    throw new Error(`copying ${remote} from ${h.spec.name}: checksum mismatch (${got}, the node has ${want})`);
  }
  fs.renameSync(`${local}.part`, local);
}

async function run(h: NodeHandle, script: string, signal: AbortSignal): Promise<string> {
  const r = await h.ops.transportRef.exec(["sh", "-c", script], { timeoutMs: SMALL_TIMEOUT_MS, signal });
  if (r.code !== 0) throw new Error(`on ${h.spec.name}: ${r.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${r.code}`}`);
  return r.stdout;
}
