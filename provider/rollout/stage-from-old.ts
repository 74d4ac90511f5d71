/**
 * A downgrade (reverting `version`) finds its target on the node already:
 * `<binaryPath>_old`, kept by the upgrade it reverts. When its build tag is
 * the target, it is copied (with `lib_old`) into the staging area and the
 * copy's build tag checked again, so the release source is not needed — it
 * may no longer serve that version, or the hosts may be air-gapped. Nodes
 * without it fall back to the release source (staging.ts).
 *
 * The copy goes to `<stagingDir>/<version>.from-old/`, apart from a
 * downloaded release's `<version>/` (whose marker is the tarball's sha256).
 */
import * as path from "path";
import { NodeOpFailed } from "../core/errors";
import type { NodeHandle } from "../cluster/observe";
import { trimOut } from "../node/ops";
import type { StagedRelease } from "../node/release";
import { shellQuote } from "../transport/transport";

const COPY_TIMEOUT_MS = 120_000;

export type FromOld =
  | { readonly staged: StagedRelease }
  /** `_old` is not the version: its build tag, or undefined when it is missing or does not run. */
  | { readonly staged?: undefined; readonly found?: string };

export async function stageFromOld(h: NodeHandle, version: string, signal?: AbortSignal): Promise<FromOld> {
  const found = await h.ops.buildOf(h.ops.oldBinaryPath, signal).catch(() => undefined);
  if (found !== version) return { found };
  const dir = path.posix.join(h.spec.stagingDir, `${version}.from-old`);
  const binary = path.posix.join(dir, "cockroach");
  const lib = path.posix.join(dir, "lib");
  const libOld = path.posix.join(path.posix.dirname(h.spec.binaryPath), "lib_old");
  const script = [
    "set -e",
    `rm -rf ${shellQuote(dir)} && mkdir -p ${shellQuote(dir)}`,
    `cp -p ${shellQuote(h.ops.oldBinaryPath)} ${shellQuote(binary)}`,
    `chmod 755 ${shellQuote(binary)}`,
    `if [ -d ${shellQuote(libOld)} ]; then cp -Rp ${shellQuote(libOld)} ${shellQuote(lib)}; fi`,
  ].join("\n");
  const r = await h.ops.transportRef.exec(["sh", "-c", script], { timeoutMs: COPY_TIMEOUT_MS, signal });
  if (r.code !== 0)
    throw new NodeOpFailed("stage-release", h.ops.subject, `cannot copy ${h.ops.oldBinaryPath} to ${dir}`, trimOut(r.stderr));
  const copied = await h.ops.buildOf(binary, signal);
  if (copied !== version) return { found: copied };
  return { staged: { dir, binary, libDir: lib, reused: true } };
}

/** For an error: what `_old` was on the nodes that could not use it. */
export function describeOld(h: NodeHandle, r: FromOld): string {
  return `${h.spec.name}: ${h.ops.oldBinaryPath} is ${r.staged ? "the target" : (r.found ?? "missing")}`;
}
