/**
 * A provider process to kill: runs `update(id, olds, news)` from a JSON file
 * and prints every progress line on stdout, so a test can SIGKILL it at an
 * exact phase, as `kill -9` of pulumi (and its provider host) would.
 *
 * Usage: node dist/tests/support/provider-update-child.js <args.json>
 */
import * as fs from "fs";
import * as lifecycle from "../../provider/lifecycle";

interface Args {
  readonly id: string;
  readonly olds: Record<string, unknown>;
  readonly news: Record<string, unknown>;
}

async function main(): Promise<void> {
  const a = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as Args;
  await lifecycle.update(a.id, a.olds, a.news, { log: (l) => process.stdout.write(`${l}\n`) });
  process.stdout.write("CHILD DONE\n");
}

main().catch((e: unknown) => {
  process.stdout.write(`CHILD FAILED ${(e as Error).message}\n`);
  process.exit(1);
});
