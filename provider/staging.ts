/**
 * Pre-flight's last step: the target release staged and sha256-verified on
 * EVERY node before any node is touched, all nodes at once (downloads are
 * I/O-bound). In air-gapped mode (fetch "provider") the provider downloads
 * and verifies once, then copies to each node, which verifies again.
 *
 * The same path stages another version (`version`): the previous release,
 * as rollback material (rollback-material.ts), from the same release source
 * and verified the same way.
 */
import { downloadOnProvider, resolveRelease, stageOnNode, type StagedRelease } from "./release";
import type { NodeHandle } from "./observe";
import type { Spec } from "./types";

export type StagedByNode = ReadonlyMap<string, StagedRelease>;

export async function stageEverywhere(
  spec: Spec,
  handles: readonly NodeHandle[],
  signal?: AbortSignal,
  version: string = spec.version,
): Promise<StagedByNode> {
  if (handles.length === 0) return new Map();
  const first = handles[0];
  const rel = await resolveRelease(spec, { transport: first.ops.transportRef, node: first.spec }, signal, version);
  const local = spec.release.fetch === "provider" ? await downloadOnProvider(rel, signal) : undefined;
  try {
    const results = await Promise.allSettled(
      handles.map((h) => stageOnNode({ transport: h.ops.transportRef, node: h.spec }, rel, { localTarball: local?.file }, signal)),
    );
    const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
    if (failed.length > 0) throw new Error(failed.join("; "));
    return new Map(handles.map((h, i) => [h.spec.name, (results[i] as PromiseFulfilledResult<StagedRelease>).value]));
  } finally {
    local?.cleanup();
  }
}
