/**
 * The provider process of the rollout benchmark: adopts the cluster at the
 * old version, rolls it to the new one, and prints one JSON line with the
 * outputs' rollout record, the wall time and its own peak RSS
 * (process.resourceUsage().maxRSS, i.e. the kernel's high-water mark).
 *
 * Usage: node dist/bench/provider-rollout-child.js <args.json>
 */
import * as fs from "fs";
import * as lifecycle from "../provider/lifecycle";
import type { ClusterVersionInputs, ClusterVersionOutputs } from "../provider/core/types";

interface ChildArgs {
  readonly from: ClusterVersionInputs;
  readonly to: ClusterVersionInputs;
}

async function main(): Promise<void> {
  const args = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as ChildArgs;
  const quiet = { log: () => undefined };
  const created = await lifecycle.create(args.from as unknown as Record<string, unknown>, quiet);
  const t0 = Date.now();
  const updated = await lifecycle.update(created.id, created.outs, args.to as unknown as Record<string, unknown>, quiet);
  const wallMs = Date.now() - t0;
  const outs = updated.outs as unknown as ClusterVersionOutputs;
  process.stdout.write(JSON.stringify({ wallMs, record: outs.lastRollout, maxRssKb: process.resourceUsage().maxRSS }) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message ?? JSON.stringify(e)}\n`);
  process.exit(1);
});
