/**
 * Each node's auto-upgrade loop (CR `pkg/server/auto_upgrade.go`): ask the
 * cluster whether finalization may run, log why not, retry with backoff
 * (1s doubling to 30s, scaled), finalize when allowed, and stop once the
 * cluster runs this node's version.
 */
import { CrdbLog } from "../common/crdb-log";
import { SimTiming } from "../common/timing";
import { FabricClient } from "../fabric/client";

export interface AutoUpgradeContext {
  readonly nodeId: number;
  readonly binaryTag: string;
  readonly log: CrdbLog;
  readonly timing: SimTiming;
  stopped(): boolean;
}

const WHERE = "server/auto_upgrade.go:74";

export async function runAutoUpgrade(fabric: FabricClient, ctx: AutoUpgradeContext): Promise<void> {
  let backoff = ctx.timing.autoUpgradeInitialBackoffMs;
  while (!ctx.stopped()) {
    try {
      const status = await fabric.call("upgradeStatus", { nodeId: ctx.nodeId });
      if (status.kind === "completed") {
        ctx.log.info(WHERE, status.message);
        return;
      }
      if (status.kind === "allowed" && status.target) {
        await fabric.call("finalize", { target: status.target, gatewayTag: ctx.binaryTag });
        ctx.log.info(WHERE, "successfully upgraded cluster version");
        return;
      }
      if (status.kind === "blocked") ctx.log.error(WHERE, status.message);
      else ctx.log.info(WHERE, status.message);
    } catch (e) {
      if (ctx.stopped()) return;
      ctx.log.error(WHERE, `error when finalizing cluster version upgrade: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, backoff).unref());
    backoff = Math.min(backoff * 2, ctx.timing.autoUpgradeMaxBackoffMs);
  }
}
