/**
 * Pre-flight's last step: the target release staged and sha256-verified on
 * EVERY node before any node is touched, all nodes at once (downloads are
 * I/O-bound). In air-gapped mode (fetch "provider") the provider downloads
 * and verifies once, then copies to each node, which verifies again.
 *
 * The same path stages another version (`version`): the previous release,
 * as rollback material (rollback-material.ts), from the same release source
 * and verified the same way.
 *
 * A downgrade (`fromOld`) takes the target from `<binaryPath>_old` where its
 * build tag is the target (stage-from-old.ts), and from the release source
 * elsewhere; when neither has it, the error names both.
 */
import { downloadOnProvider, resolveRelease, stageOnNode, type StagedRelease } from "../node/release";
import type { NodeHandle } from "../cluster/observe";
import { describeOld, stageFromOld } from "./stage-from-old";
import type { Plan, Spec } from "../core/types";

export type StagedByNode = ReadonlyMap<string, StagedRelease>;

export async function stageEverywhere(
  spec: Spec,
  handles: readonly NodeHandle[],
  signal?: AbortSignal,
  version: string = spec.version,
  opts: { readonly fromOld?: boolean } = {},
): Promise<StagedByNode> {
  if (!opts.fromOld) return stageFromSource(spec, handles, signal, version);
  // A downgrade: `_old` first (stage-from-old.ts), the release source for the nodes without it.
  const olds = await Promise.all(handles.map((h) => stageFromOld(h, version, signal)));
  const staged = new Map<string, StagedRelease>();
  handles.forEach((h, i) => olds[i].staged && staged.set(h.spec.name, olds[i].staged));
  const rest = handles.filter((h) => !staged.has(h.spec.name));
  const fetched = await stageFromSource(spec, rest, signal, version).catch((e: Error) => {
    const found = rest.map((h) => describeOld(h, olds[handles.indexOf(h)])).join("; ");
    throw new Error(`${version} is neither on the node nor available from the release source: ${found}; and ${e.message}`);
  });
  for (const [name, s] of fetched) staged.set(name, s);
  return staged;
}

async function stageFromSource(
  spec: Spec,
  handles: readonly NodeHandle[],
  signal: AbortSignal | undefined,
  version: string,
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

/** Reverting `version`: the target is the build the upgrade being reverted kept as `_old`. */
export function isDowngrade(plan: Pick<Plan, "kind">): boolean {
  return plan.kind === "patch-downgrade" || plan.kind === "major-rollback";
}
