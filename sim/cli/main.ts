/**
 * The simulated `cockroach` executable. A release's `cockroach` script runs
 * `node <this file> "$@"` with the build tag and faults in the environment:
 *   CRDB_SIM_TAG=v23.1.11  CRDB_SIM_FAULTS=drain-timeout,crash-after=30
 * Commands: version, start, node ls|status|drain, sql, debug zip, cert create-ca|create-node|create-client.
 */
import { reportError } from "./errors";
import { UsageError } from "./flags";
import { parseFaults } from "../node/config";
import { isValidTag } from "../common/versions";

const HELP = `CockroachDB command-line interface and server (simulated).

Usage:
  cockroach [command]

Available Commands:
  start       start a node in a multi-node cluster
  cert        create ca, node, and client certs
  sql         open a sql shell
  node        list, inspect, drain or remove nodes
  debug       debugging commands
  version     output version information

Use "cockroach [command] --help" for more information about a command.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const tag = process.env.CRDB_SIM_TAG ?? "";
  const [cmd, ...rest] = argv;
  const name = commandName(argv);
  try {
    if (!isValidTag(tag)) throw new Error(`this cockroach build has no valid build tag (CRDB_SIM_TAG=${JSON.stringify(tag)})`);
    const faults = parseFaults(process.env.CRDB_SIM_FAULTS);
    switch (cmd) {
      case "version":
      case "--version":
        return (await import("./version-cmd")).runVersion(tag, rest);
      case "start":
        return await (await import("./start-cmd")).runStart(tag, faults, rest);
      case "node":
        return await (await import("./node-cmd")).runNode(tag, rest);
      case "sql":
        return await (await import("./sql-cmd")).runSql(rest);
      case "debug":
        return await (await import("./debug-zip")).runDebug(rest);
      case "cert":
        return (await import("./cert-cmd")).runCert(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${cmd}" for "cockroach"\nRun 'cockroach --help' for usage.`);
    }
  } catch (e) {
    return reportError(e, name);
  }
}

/** What cockroach names in `Failed running "..."`: the command path without flags. */
function commandName(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) break;
    words.push(a);
    if (!["node", "debug", "cert"].includes(a)) break;
  }
  return words.join(" ") || "cockroach";
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Let stdout drain, then exit even if a stray handle lingers.
      process.exitCode = code;
      setTimeout(() => process.exit(code), 3000).unref();
    },
    (e: Error) => {
      process.stderr.write(`ERROR: ${e.message}\n`);
      process.exit(1);
    },
  );
}
