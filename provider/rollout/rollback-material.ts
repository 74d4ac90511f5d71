/**
 * Rollback material, verified before the first restart as the target is.
 *
 * Pre-flight (`verifyRollbackMaterial`): every node has its way back
 * (rollback-source.ts): the previous build on the node with its build tag
 * checked, or else the previous release staged there from the release source
 * (release.urlTemplate with the previous version) and checksum-verified.
 * When a node has neither and rollbackOnFailure is true, the update is
 * REFUSED before anything is touched: a failure mid-roll could then not be
 * undone, and an operator whose cluster must never lose quorum wants to know
 * before, not after. The refusal says how to proceed, including the override
 * (rollbackOnFailure = false: a failure then leaves nodes as they are).
 *
 * Rollback (`prepareWayBack`): the way back is looked at again — an operator
 * or a cleanup job may have removed `<binaryPath>_old` meanwhile. A missing
 * or wrong `_old` is re-staged from the release source (verified), before the
 * node is touched; when neither works, the error names both paths tried.
 */
import * as path from "path";
import { messageOf } from "../core/errors";
import type { NodeHandle, Observation } from "../cluster/observe";
import { previousBuilds, wayBack, type WayBack } from "./rollback-source";
import { stageEverywhere } from "./staging";
import type { Plan, Spec } from "../core/types";

/** Per node: the build a rollback takes it back to, and where that build is (at pre-flight). */
export interface MaterialEntry {
  readonly build: string;
  readonly source: "binary" | "old" | "release";
}

export type RollbackMaterial = ReadonlyMap<string, MaterialEntry>;

export interface MaterialContext {
  readonly spec: Spec;
  readonly handles: readonly NodeHandle[];
  readonly signal?: AbortSignal;
  /** A finding that does not stop the run. */
  readonly note: (message: string) => void;
}

/** Pre-flight: the way back of every node, verified; throws the refusal (nothing touched) when one is missing. */
export async function verifyRollbackMaterial(ctx: MaterialContext, obs: Observation, plan: Plan): Promise<RollbackMaterial> {
  const { spec } = ctx;
  const toRoll = plan.batches.flatMap((b) => b.nodes);
  const expected = previousBuilds(obs.nodes, toRoll, spec.version);
  const ways = new Map<string, WayBack>();
  for (const n of obs.nodes) {
    const h = ctx.handles.find((x) => x.spec.name === n.name);
    if (!h || !(toRoll.includes(n.name) || plan.skip.includes(n.name))) continue;
    const found = { binary: n.binaryBuild, old: n.previousBuild, binaryPath: h.spec.binaryPath, oldPath: h.ops.oldBinaryPath };
    ways.set(n.name, wayBack(found, spec.version, expected.get(n.name)));
  }
  if (!spec.strategy.rollbackOnFailure) {
    const missing = [...ways].filter(([, w]) => w.source === "release" || w.source === "none").map(([name]) => name);
    if (missing.length > 0)
      ctx.note(
        `rollback material not on ${missing.join(", ")} and not staged: strategy.rollbackOnFailure is false, so no rollback will be tried`,
      );
    return materialOf(ways);
  }
  const problems = await stageMissing(ctx, ways);
  if (problems.length > 0) throw new Error(refusal(problems));
  return materialOf(ways);
}

/** Stages the previous release where no file on the node is the way back; returns what could not be made good. */
async function stageMissing(ctx: MaterialContext, ways: Map<string, WayBack>): Promise<string[]> {
  const problems: string[] = [];
  const byBuild = new Map<string, string[]>();
  for (const [name, w] of ways) {
    if (w.source === "none")
      problems.push(
        `${name}: no previous binary (${w.why}) and the previous build is unknown (the nodes still to roll run different builds)`,
      );
    if (w.source === "release") byBuild.set(w.build, [...(byBuild.get(w.build) ?? []), name]);
  }
  for (const [build, names] of byBuild) {
    const handles = ctx.handles.filter((h) => names.includes(h.spec.name));
    try {
      await stageEverywhere(ctx.spec, handles, ctx.signal, build);
      for (const name of names) {
        const w = ways.get(name) as Extract<WayBack, { source: "release" }>;
        ctx.note(`${name}: ${w.why}: staged the previous release ${build} from the release source (verified) as its rollback material`);
      }
    } catch (e) {
      const why = names.map((n) => `${n}: ${(ways.get(n) as Extract<WayBack, { source: "release" }>).why}`).join("; ");
      problems.push(`${why}; and the previous release ${build} could not be staged from the release source: ${messageOf(e)}`);
    }
  }
  return problems;
}

function refusal(problems: readonly string[]): string {
  return (
    `rollback material missing, so a failure could not be rolled back: ${problems.join("; ")}. ` +
    "Put the previous build back at <binaryPath>_old, or make the previous release available at release.urlTemplate; " +
    "or, to go ahead without a way back, set strategy.rollbackOnFailure = false (a failure then leaves nodes as they are)"
  );
}

function materialOf(ways: ReadonlyMap<string, WayBack>): RollbackMaterial {
  const out = new Map<string, MaterialEntry>();
  for (const [name, w] of ways) if (w.source !== "none") out.set(name, { build: w.build, source: w.source });
  return out;
}

/** What a rollback does to one node: the build it goes back to and, when the binary must change, from where. */
export interface PreparedWayBack {
  /** Build tag of `binaryPath` now (undefined: absent or unreadable). */
  readonly binary?: string;
  readonly build: string;
  /** Absent: the binary in place is already the previous build (the node failed before its swap). */
  readonly swap?: { readonly source: string; readonly libDir: string };
}

/**
 * Rollback time, before the node is touched: the way back found now. A
 * missing or wrong `_old` is re-staged from the release source. Throws
 * naming the node and both paths tried when neither works.
 */
export async function prepareWayBack(
  h: NodeHandle,
  ctx: { readonly spec: Spec; readonly expected?: string; readonly signal?: AbortSignal; readonly note: (m: string) => void },
): Promise<PreparedWayBack> {
  const { spec, signal } = ctx;
  const binary = await h.ops.buildOf(h.spec.binaryPath, signal).catch(() => undefined);
  // Not on the target: the node failed before its swap, and the binary in place is where it goes back to.
  if (binary !== undefined && binary !== spec.version) return { binary, build: binary };
  const old = await h.ops.buildOf(h.ops.oldBinaryPath, signal).catch(() => undefined);
  const w = wayBack({ binary, old, binaryPath: h.spec.binaryPath, oldPath: h.ops.oldBinaryPath }, spec.version, ctx.expected);
  const subject = `rollback node ${h.spec.name} (${h.spec.sqlAddr.host})`;
  if (w.source === "binary") return { binary, build: w.build };
  if (w.source === "old") return { binary, build: w.build, swap: { source: h.ops.oldBinaryPath, libDir: oldLibDir(h.spec.binaryPath) } };
  if (w.source === "none") {
    throw new Error(
      `${subject}: no previous binary to go back to (${w.why}), and the previous build is unknown, so the release source could not be tried`,
    );
  }
  try {
    const staged = (await stageEverywhere(spec, [h], signal, w.build)).get(h.spec.name);
    if (!staged) throw new Error("nothing was staged");
    ctx.note(`${h.spec.name}: ${w.why}: re-staged the previous release ${w.build} from the release source (verified) to go back to`);
    return { binary, build: w.build, swap: { source: staged.binary, libDir: staged.libDir } };
  } catch (e) {
    throw new Error(
      `${subject}: no way back to ${w.build}: ${w.why}, and the previous release could not be staged from the release source: ${messageOf(e)}`,
    );
  }
}

/** The `lib_old` the swap keeps beside the binary. */
function oldLibDir(binaryPath: string): string {
  return path.posix.join(path.posix.dirname(binaryPath), "lib_old");
}
