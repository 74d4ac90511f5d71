/**
 * The binary swap as one shell script (pure): keeps the procedure's
 * `cockroach_old` — the previous binary as `<binaryPath>_old` — and puts
 * each replacement in place through `<binaryPath>.new` + rename in the same
 * directory, so `binaryPath` is never missing or half-written. `lib/`
 * (GEOS) beside the binary is swapped the same way, the previous kept as
 * `lib_old`.
 */
import * as path from "path";
import { shellQuote } from "../transport/transport";

export interface SwapOptions {
  /** A staged release binary, or `_old` on rollback. */
  readonly source: string;
  /** The current binary first becomes `_old`. */
  readonly keepPrevious: boolean;
  /** The release's lib/, to replace `lib/` next to the binary. */
  readonly libDir?: string;
}

export function swapScript(binaryPath: string, opts: SwapOptions): string {
  const bin = shellQuote(binaryPath);
  const lines = ["set -e"];
  if (opts.keepPrevious) lines.push(`cp -p ${bin} ${bin}_old.tmp`, `mv -f ${bin}_old.tmp ${bin}_old`);
  lines.push(`cp -p ${shellQuote(opts.source)} ${bin}.new`, `chmod 755 ${bin}.new`, `mv -f ${bin}.new ${bin}`);
  if (opts.libDir !== undefined)
    lines.push(...libSwapLines(opts.libDir, path.posix.join(path.posix.dirname(binaryPath), "lib"), opts.keepPrevious));
  return lines.join("\n");
}

/** `<binaryPath>_old` (and `lib_old`) copied into `dir` as a staged release: a downgrade's target found on the node. */
export function copyOldScript(binaryPath: string, dir: string): string {
  const binary = path.posix.join(dir, "cockroach");
  const libOld = path.posix.join(path.posix.dirname(binaryPath), "lib_old");
  return [
    "set -e",
    `rm -rf ${shellQuote(dir)} && mkdir -p ${shellQuote(dir)}`,
    `cp -p ${shellQuote(`${binaryPath}_old`)} ${shellQuote(binary)}`,
    `chmod 755 ${shellQuote(binary)}`,
    `if [ -d ${shellQuote(libOld)} ]; then cp -Rp ${shellQuote(libOld)} ${shellQuote(path.posix.join(dir, "lib"))}; fi`,
  ].join("\n");
}

/** Swap lib/ (GEOS) the same way: new beside, previous kept as lib_old, rename into place. */
function libSwapLines(sourceLib: string, libPath: string, keepPrevious: boolean): string[] {
  const src = shellQuote(sourceLib);
  const lib = shellQuote(libPath);
  const lines = [`if [ -d ${src} ]; then`, `rm -rf ${lib}.new`, `cp -Rp ${src} ${lib}.new`];
  if (keepPrevious) lines.push(`rm -rf ${lib}_old`, `if [ -d ${lib} ]; then mv ${lib} ${lib}_old; fi`);
  else lines.push(`rm -rf ${lib}`);
  lines.push(`mv ${lib}.new ${lib}`, "fi");
  return lines;
}
