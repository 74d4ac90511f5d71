/**
 * Major upgrades: keep CockroachDB from finalizing on its own while nodes
 * are rolled (finalization is the point of no return: after it the old
 * binary refuses the store), and finalize when the user asked for it.
 *
 * The block is the setting plan.blockFinalization names; the value it had
 * before is recorded so it can be restored exactly, not merely reset.
 */
import type { ClusterReader, GossipRow } from "./reader";
import { GateFailed } from "../core/errors";
import type { NodeSpec } from "../core/types";
import { matchNodes } from "./reader";
import { forgetBlock, recallRollout, rememberBlock } from "./memory";
import { sleep } from "../core/timing";
import { parseClusterVersion } from "../versions/versions";
import { PRESERVE, previousStillBlocks, type FinalizationBlock } from "../plan/finalize-hint";

export { finalizeHint, type FinalizationBlock } from "../plan/finalize-hint";

const POLL_MS = 500;

/** Sets the block; returns what to record so it can be undone. Idempotent (a resumed run finds it set). */
export async function blockFinalization(
  reader: ClusterReader,
  block: { readonly setting: string; readonly value: string },
  prior?: FinalizationBlock,
): Promise<FinalizationBlock> {
  const current = await reader.showSetting(block.setting);
  // The cluster's memory first (cluster-memory.ts): a run killed before its state was written left no prior.
  const remembered = (await recallRollout(reader))?.block ?? prior;
  // When a previous run set this very block, what it replaced is the real "previous".
  const previous = remembered && remembered.setting === block.setting && current === block.value ? remembered.previous : current;
  const set = { setting: block.setting, previous, value: block.value };
  // Remembered before it is set: a kill between the two leaves a memory that restores the same value.
  await rememberBlock(reader, set);
  if (current !== block.value) await reader.setSetting(block.setting, block.value);
  return set;
}

/**
 * Restores the setting's value from before the block (RESET when it was
 * unset). Returns whether the restored value still blocks auto-finalization
 * (the user had blocked it themselves) — then finalizing needs the explicit
 * `SET CLUSTER SETTING version` — and whether the old value was stale.
 *
 * A `preserve_downgrade_option` value names the cluster version it pins, and
 * CockroachDB refuses any other (`cannot set cluster.preserve_downgrade_option
 * to X (cluster version is Y)`, clusterversion/setting.go): once the cluster
 * moved on (finalized, or finalizing), the old value is never written back;
 * the setting is RESET, as CockroachDB itself clears it after finalizing.
 */
export async function unblockFinalization(
  reader: ClusterReader,
  block: FinalizationBlock,
): Promise<{ readonly stillBlocked: boolean; readonly stale: boolean }> {
  const stale = block.setting === PRESERVE && block.previous !== "" && (await preserveIsStale(reader, block.previous));
  if (block.previous === "" || stale) await reader.resetSetting(block.setting);
  else await reader.setSetting(block.setting, block.previous);
  await forgetBlock(reader);
  return { stillBlocked: !stale && previousStillBlocks(block), stale };
}

/** The value no longer names the cluster version (it moved on, or is moving). */
async function preserveIsStale(reader: ClusterReader, value: string): Promise<boolean> {
  const cv = parseClusterVersion(await reader.showSetting("version"));
  return cv.inTransition || cv.series !== value;
}

/** The value the operator had before our block holds finalization back itself (their own block). */

/** A node that would keep CockroachDB from finalizing, and what shows it. */
export interface FinalizationBlocker {
  readonly node: NodeSpec;
  readonly why: string;
}

/**
 * The nodes that block finalization now: CockroachDB finalizes only when
 * every node is live and not draining (reference §5). Positive evidence only:
 * a node counts as fine when it answers /health?ready=1 and the cluster
 * calls it live, so a node killed a moment ago (liveness not yet expired)
 * is caught by its refused HTTP connection.
 */
export async function finalizationBlockers(
  reader: ClusterReader,
  nodes: readonly NodeSpec[],
  signal?: AbortSignal,
): Promise<FinalizationBlocker[]> {
  let rows: ReadonlyMap<string, GossipRow>;
  try {
    rows = matchNodes(nodes, await reader.gossip()).byName;
  } catch (e) {
    return nodes.map((node) => ({ node, why: `cannot read liveness: ${(e as Error).message}` }));
  }
  const checked = await Promise.all(
    nodes.map(async (node): Promise<FinalizationBlocker | undefined> => {
      const health = await reader.health(node, true, signal);
      if (health.status !== 200)
        return { node, why: health.reachable ? `not ready (${health.message})` : `not live (unreachable: ${health.message})` };
      const row = rows.get(node.name);
      if (!row) return { node, why: "not a member of the cluster (no node with its sqlAddr)" };
      if (!row.isAvailable || !row.isLive) return { node, why: "not live" };
      if (row.draining) return { node, why: "draining" };
      return undefined;
    }),
  );
  return checked.filter((b): b is FinalizationBlocker => b !== undefined);
}

/** The finalize error for blockers: names the first node, lists the others. */
export function blockedError(blockers: readonly FinalizationBlocker[], after: string): GateFailed {
  const [first, ...others] = blockers;
  const also = others.length > 0 ? `; also ${others.map((b) => `${b.node.name}: ${b.why}`).join(", ")}` : "";
  return new GateFailed("finalize", `${first.why}, which blocks finalization${also}; ${after}`, {
    name: first.node.name,
    host: first.node.sqlAddr.host,
  });
}

/**
 * Waits until `SHOW CLUSTER SETTING version` equals the target series,
 * passing through the transition versions. A non-live node blocks
 * finalization in CockroachDB; we say which one instead of waiting out the
 * deadline.
 */
export async function awaitFinalized(
  reader: ClusterReader,
  nodes: readonly NodeSpec[],
  series: string,
  deadlineMs: number,
  signal?: AbortSignal,
  onProgress?: (clusterVersion: string) => void,
): Promise<{ readonly migrationMs: number }> {
  const started = Date.now();
  let last = "";
  let blockedSince: { name: string; at: number } | undefined;
  for (;;) {
    const v = await reader.showSetting("version").catch((e: Error) => `unreadable (${e.message})`);
    if (v !== last) onProgress?.(v);
    last = v;
    if (v === series) return { migrationMs: Date.now() - started };
    const blockers = await finalizationBlockers(reader, nodes, signal);
    if (blockers.length > 0) {
      const name = blockers[0].node.name;
      blockedSince = blockedSince?.name === name ? blockedSince : { name, at: Date.now() };
      // Liveness can flap for a heartbeat; a node down for 3 polls is a real blocker.
      if (Date.now() - blockedSince.at > 3 * POLL_MS)
        throw blockedError(blockers, `cluster version ${v}; bring the node back or decommission it`);
    } else blockedSince = undefined;
    if (Date.now() - started > deadlineMs) {
      throw new GateFailed("finalize", `cluster version is ${v}, not ${series}, after ${Math.round(deadlineMs / 1000)}s`);
    }
    await sleep(POLL_MS, signal);
  }
}

/**
 * Whether the cluster's own settings still keep it from finalizing by itself
 * (the operator's block, or one no run recorded): then finalizing takes the
 * explicit `SET CLUSTER SETTING version`.
 */
export async function autoFinalizationHeld(reader: ClusterReader, clusterSeries: string): Promise<boolean> {
  // cluster.auto_upgrade.enabled does not exist before v23.2: absent means not held by it.
  const auto = await reader.showSetting("cluster.auto_upgrade.enabled").catch(() => "true");
  const preserve = await reader.showSetting("cluster.preserve_downgrade_option");
  return auto === "false" || (preserve !== "" && preserve === clusterSeries);
}

/**
 * Sets the cluster version explicitly: the manual finalization statement.
 * CockroachDB refuses any version bump while `cluster.preserve_downgrade_option`
 * is non-empty (`cannot upgrade to X: cluster.preserve_downgrade_option is set
 * to Y`, clusterversion/setting.go validateVersionUpgrade), so it is RESET
 * first. When the statement is refused before anything moved, the option goes
 * back to its value (still valid: the cluster version did not change).
 */
export async function setClusterVersion(reader: ClusterReader, series: string): Promise<void> {
  const preserve = await reader.showSetting(PRESERVE);
  if (preserve !== "") await reader.resetSetting(PRESERVE);
  try {
    await reader.setSetting("version", series);
  } catch (e) {
    if (preserve !== "") await restorePreserveIfUnmoved(reader, preserve);
    throw e;
  }
}

async function restorePreserveIfUnmoved(reader: ClusterReader, value: string): Promise<void> {
  try {
    if (!(await preserveIsStale(reader, value))) await reader.setSetting(PRESERVE, value);
  } catch {
    // Best effort: the refusal being reported matters more.
  }
}
