/**
 * What a finalization block is, and what to tell the operator who must
 * finalize by hand (pure: diff shows it, outputs store it).
 */
import type { ClusterVersionOutputs } from "../core/types";

export type FinalizationBlock = NonNullable<ClusterVersionOutputs["finalizationBlock"]>;

export const PRESERVE = "cluster.preserve_downgrade_option";

/** Whether the value the block replaced holds finalization by itself (the operator had blocked it). */
export function previousStillBlocks(block: FinalizationBlock): boolean {
  return block.previous !== "" && (block.setting === "cluster.auto_upgrade.enabled" ? block.previous === "false" : true);
}

/**
 * The hint stored in outputs while a major upgrade waits for manual
 * finalization. By hand: lift our block, unless the value it restores (the
 * operator's own) would hold finalization too; then the explicit statement.
 * A `preserve_downgrade_option` hold is always RESET (never set to an old
 * value), and `SET CLUSTER SETTING version` is refused while it is set.
 */
export function finalizeHint(block: FinalizationBlock | undefined, series: string): string {
  const resetPreserve = `RESET CLUSTER SETTING ${PRESERVE}`;
  const explicit = `SET CLUSTER SETTING version = '${series}'`;
  const byHand =
    block === undefined
      ? `${resetPreserve} (CockroachDB refuses any version change while it is set), then ${explicit}`
      : block.setting === PRESERVE
        ? previousStillBlocks(block)
          ? `${resetPreserve}, then ${explicit}`
          : resetPreserve
        : previousStillBlocks(block)
          ? explicit
          : block.previous === ""
            ? `RESET CLUSTER SETTING ${block.setting}`
            : `SET CLUSTER SETTING ${block.setting} = '${block.previous}'`;
  return `to finalize ${series} (no rollback after this): set strategy.finalize to "auto" and run pulumi up, or run ${byHand} and wait until SHOW CLUSTER SETTING version shows ${series}`;
}
