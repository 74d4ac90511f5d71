/**
 * Pure: which file is a node's way back to the build it ran before this
 * upgrade, at any point of the roll.
 *
 * - Before the node's swap, the binary in place IS the way back (the swap
 *   copies it to `<binaryPath>_old` before installing the target).
 * - After the swap (this run's, or an interrupted earlier run's), the way
 *   back is `<binaryPath>_old` — only when its build tag is the previous
 *   build: a stale `_old` (left by an older upgrade, or put there by hand)
 *   would take the node somewhere the rest of the cluster never was.
 * - Otherwise the previous release must come from the release source
 *   (release.urlTemplate with the previous version), checksum-verified.
 *
 * The build tags come from `<binary> version --build-tag` on the node.
 */

/** What is found on a node: build tags of `binaryPath` and `<binaryPath>_old` (undefined: absent or unreadable). */
export interface FoundBinaries {
  readonly binary?: string;
  readonly old?: string;
  readonly binaryPath: string;
  readonly oldPath: string;
}

export type WayBack =
  /** Not swapped yet: the binary in place is the previous build; a rollback restarts it in place. */
  | { readonly source: "binary"; readonly build: string }
  /** Swapped: `<binaryPath>_old` carries the previous build tag. */
  | { readonly source: "old"; readonly build: string }
  /** Neither file is the previous build: stage the previous release from the release source. `why` names what was found. */
  | { readonly source: "release"; readonly build: string; readonly why: string }
  /** No file is the way back and the previous build is unknown, so nothing can be staged either. */
  | { readonly source: "none"; readonly why: string };

/**
 * The way back for a node, given what is on it, the target of this upgrade
 * and the build it must go back to (`expected`; undefined when unknown: then
 * any non-target `_old` is accepted, as before this check existed).
 */
export function wayBack(found: FoundBinaries, target: string, expected?: string): WayBack {
  if (found.binary !== undefined && found.binary !== target) {
    if (expected === undefined || found.binary === expected) return { source: "binary", build: found.binary };
    return { source: "release", build: expected, why: `${found.binaryPath} is ${found.binary}, not ${expected}` };
  }
  if (found.old !== undefined && found.old !== target && (expected === undefined || found.old === expected)) {
    return { source: "old", build: found.old };
  }
  const why = `${found.oldPath} is ${describeOld(found.old, target, expected)}`;
  return expected === undefined ? { source: "none", why } : { source: "release", build: expected, why };
}

function describeOld(old: string | undefined, target: string, expected: string | undefined): string {
  if (old === undefined) return "missing";
  if (old === target) return `${old} (the target itself)`;
  return expected === undefined ? old : `${old}, not ${expected}`;
}

/** What the observation says about one node (observe.ts). */
export interface NodeBuilds {
  readonly name: string;
  /** Build the running process reports. */
  readonly build?: string;
  /** Build tag of the binary at binaryPath. */
  readonly binaryBuild?: string;
  /** Build tag of `<binaryPath>_old` (observed when the binary is the target). */
  readonly previousBuild?: string;
}

/**
 * The build each node must go back to on a rollback:
 * - a node still to roll: what it runs (its binary when it is stopped, or
 *   when it already runs the target but its binary differs — as plan.ts judges it);
 * - a node already on the target (an earlier run moved it): the build the
 *   nodes still to roll are on, when they agree; else unknown.
 */
export function previousBuilds(
  nodes: readonly NodeBuilds[],
  toRoll: readonly string[],
  target: string,
): ReadonlyMap<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const n of nodes)
    if (toRoll.includes(n.name)) out.set(n.name, n.build !== undefined && n.build !== target ? n.build : n.binaryBuild);
  const rollBuilds = new Set([...out.values()].filter((b): b is string => b !== undefined && b !== target));
  const shared = rollBuilds.size === 1 ? [...rollBuilds][0] : undefined;
  for (const n of nodes) if (!toRoll.includes(n.name)) out.set(n.name, shared);
  return out;
}
