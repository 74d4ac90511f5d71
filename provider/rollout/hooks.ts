/**
 * The optional hooks that run after pre-flight and before the first node is
 * touched: a `cockroach debug zip` on the first node, the user's backup
 * command (run by the provider, on this machine) and backup SQL. Any failure
 * aborts the update with nothing touched.
 */
import type { ClusterReader } from "../cluster/reader";
import type { NodeHandle } from "../cluster/observe";
import { LocalTransport } from "../transport/local";
import { trimOut } from "../node/ops";
import { redact } from "../core/redact";
import type { Spec } from "../core/types";

/** Hooks may run long (a backup); the overall deadline still bounds them through the signal. */
const HOOK_TIMEOUT_MS = 60 * 60_000;

export async function runHooks(spec: Spec, handles: readonly NodeHandle[], reader: ClusterReader, signal?: AbortSignal): Promise<void> {
  const { debugZip, backupCommand, backupSql } = spec.hooks;
  if (debugZip) await handles[0].ops.debugZip(debugZip, HOOK_TIMEOUT_MS, signal);
  if (backupCommand) {
    const r = await new LocalTransport().exec(["sh", "-c", backupCommand], { timeoutMs: HOOK_TIMEOUT_MS, signal });
    // The command's own output is shown (it is the user's), the command text is not: it may hold credentials.
    if (r.code !== 0) throw new Error(`hooks: backup command exited ${r.code}: ${trimOut(r.stderr || r.stdout, 5)}`);
  }
  if (backupSql) {
    await reader.execUserSql(backupSql).catch((e: Error) => {
      // Named so the user knows which statement failed; masked (it may carry a storage key or passphrase).
      throw new Error(`hooks: backup SQL failed: ${oneLine(redact(backupSql))}: ${e.message}`);
    });
  }
}

/** A statement on one line, shortened: for messages. */
function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}...` : flat;
}
