/**
 * Major upgrades: keep CockroachDB from finalizing on its own while nodes
 * are rolled (finalization is the point of no return: after it the old
 * binary refuses the store), and finalize when the user asked for it.
 *
 * The block is the setting plan.blockFinalization names; the value it had
 * before is recorded so it can be restored exactly, not merely reset.
 */
import type { ClusterReader } from "./cluster";
import { GateFailed } from "./errors";
import type { ClusterVersionOutputs, NodeSpec } from "./types";
import { matchNodes } from "./cluster";
import { sleep } from "./timing";

export type FinalizationBlock = NonNullable<ClusterVersionOutputs["finalizationBlock"]>;

const POLL_MS = 500;

/** Sets the block; returns what to record so it can be undone. Idempotent (a resumed run finds it set). */
export async function blockFinalization(reader: ClusterReader, block: { readonly setting: string; readonly value: string }, prior?: FinalizationBlock): Promise<FinalizationBlock> {
  const current = await reader.showSetting(block.setting);
  // When a previous run set this very block, what it replaced is the real "previous".
  const previous = prior && prior.setting === block.setting && current === block.value ? prior.previous : current;
  if (current !== block.value) await reader.setSetting(block.setting, block.value);
  return { setting: block.setting, previous, value: block.value };
}

/**
 * Restores the setting's value from before the block (RESET when it was
 * unset). Returns whether the restored value still blocks auto-finalization
 * (the user had blocked it themselves) — then finalizing needs the explicit
 * `SET CLUSTER SETTING version`.
 */
export async function unblockFinalization(reader: ClusterReader, block: FinalizationBlock): Promise<{ readonly stillBlocked: boolean }> {
  if (block.previous === "") await reader.resetSetting(block.setting);
  else await reader.setSetting(block.setting, block.previous);
  const stillBlocked = block.previous !== "" && (block.setting === "cluster.auto_upgrade.enabled" ? block.previous === "false" : true);
  return { stillBlocked };
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
  let notLiveSince: { name: string; at: number } | undefined;
  for (;;) {
    const v = await reader.showSetting("version").catch((e: Error) => `unreadable (${e.message})`);
    if (v !== last) onProgress?.(v);
    last = v;
    if (v === series) return { migrationMs: Date.now() - started };
    const blocker = await firstNotLive(reader, nodes);
    if (blocker) {
      notLiveSince = notLiveSince?.name === blocker ? notLiveSince : { name: blocker, at: Date.now() };
      // Liveness can flap for a heartbeat; a node down for 3 polls is a real blocker.
      if (Date.now() - notLiveSince.at > 3 * POLL_MS) {
        throw new GateFailed("finalize", `node ${blocker} is not live, which blocks finalization (cluster version ${v}); bring it back or decommission it`);
      }
    } else notLiveSince = undefined;
    if (Date.now() - started > deadlineMs) {
      throw new GateFailed("finalize", `cluster version is ${v}, not ${series}, after ${Math.round(deadlineMs / 1000)}s`);
    }
    await sleep(POLL_MS, signal);
  }
}

/** Sets the cluster version explicitly: the manual finalization statement. */
export async function setClusterVersion(reader: ClusterReader, series: string): Promise<void> {
  await reader.setSetting("version", series);
}

async function firstNotLive(reader: ClusterReader, nodes: readonly NodeSpec[]): Promise<string | undefined> {
  try {
    const { byName } = matchNodes(nodes, await reader.gossip());
    const down = nodes.find((n) => {
      const r = byName.get(n.name);
      return !r || !r.isAvailable || !r.isLive;
    });
    return down?.name;
  } catch {
    return undefined;
  }
}

/** The hint stored in outputs while a major upgrade waits for manual finalization. */
export function finalizeHint(block: FinalizationBlock | undefined, series: string): string {
  const unblock =
    block === undefined
      ? ""
      : block.previous === ""
        ? `RESET CLUSTER SETTING ${block.setting}; `
        : `SET CLUSTER SETTING ${block.setting} = '${block.previous}'; `;
  return `to finalize ${series} (no rollback after this): set strategy.finalize to "auto" and run pulumi up, or run ${unblock}then wait until SHOW CLUSTER SETTING version shows ${series}`;
}
