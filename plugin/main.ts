/**
 * The plugin's entry: `pulumi-resource-crdb-upgrade [engine address]`, run by
 * the engine through bin/pulumi-resource-crdb-upgrade. It serves the Pulumi
 * provider gRPC protocol (the SDK's server prints the port it listens on).
 */
import * as providerSdk from "@pulumi/pulumi/provider";
import { engineAddressFrom, engineLog } from "./engine-log";
import { crdbUpgradeProvider } from "./provider";
import { withRequestContext } from "./request-context";

export async function main(args: readonly string[]): Promise<void> {
  // The engine-death watch (engine-watch.ts) arms in this process too: a killed engine stops the roll at a
  // safe boundary and the process exits; the engine's Cancel goes through the same guards.
  process.env.CRDB_UPGRADE_ENGINE_WATCH = "1";
  const version: string = require("../../package.json").version;
  const provider = crdbUpgradeProvider({ version, log: engineLog(engineAddressFrom(args)) });
  await withRequestContext(() => providerSdk.main(provider, [...args]));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: Error) => {
    process.stderr.write(`pulumi-resource-crdb-upgrade: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
