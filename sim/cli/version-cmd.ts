/** `cockroach version [--build-tag]` (reference §6). */
import { buildInfo, formatBuildTime } from "../common/versions";
import { parseFlags, flagBool } from "./flags";

export function versionText(tag: string): string {
  const b = buildInfo(tag);
  const rows: [string, string][] = [
    ["Build Tag:", b.tag],
    ["Build Time:", formatBuildTime(b.buildTimestamp)],
    ["Distribution:", b.distribution],
    ["Platform:", b.platform],
    ["Go Version:", b.goVersion],
    ["C Compiler:", b.cCompiler],
    ["Build Commit ID:", b.revision],
    ["Build Type:", b.type],
  ];
  return rows.map(([k, v]) => k.padEnd(18) + v).join("\n") + "\n";
}

export function runVersion(tag: string, args: readonly string[]): number {
  const p = parseFlags(args, [{ name: "build-tag", kind: "bool" }]);
  process.stdout.write(flagBool(p, "build-tag") ? `${tag}\n` : versionText(tag));
  return 0;
}
