/**
 * Simulated release artifacts, laid out like CockroachDB's (reference §6):
 *   cockroach-vX.Y.Z.linux-amd64.tgz
 *     cockroach-vX.Y.Z.linux-amd64/cockroach          (a #!/bin/sh script)
 *     cockroach-vX.Y.Z.linux-amd64/lib/libgeos.so
 *     cockroach-vX.Y.Z.linux-amd64/lib/libgeos_c.so
 *   cockroach-vX.Y.Z.linux-amd64.tgz.sha256sum        ("<hex>  <file name>")
 * The script execs this machine's node binary on the compiled simulator CLI
 * with the tag and faults baked in as environment variables; it answers
 * `cockroach version --build-tag` itself (the CLI's exact output), as a
 * compiled binary would, in milliseconds.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isValidTag } from "../common/versions";
import { parseFaults } from "../node/config";
import { tarGz } from "./tar";

export interface Release {
  /** Directory holding the tarball and its .sha256sum. */
  readonly dir: string;
  readonly tarball: string;
  readonly sha256: string;
  readonly sha256File: string;
}

/** The compiled `cockroach` entry point that release scripts run. */
export const CLI_ENTRY = path.resolve(__dirname, "..", "cli", "main.js");

export function releaseBaseName(version: string): string {
  return `cockroach-${version}.linux-amd64`;
}

export function cockroachScript(version: string, faults: string): string {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    "#!/bin/sh",
    `# Simulated CockroachDB ${version} (pulumi-crdb-upgrade simulator); runs the simulator's cockroach CLI.`,
    `CRDB_SIM_TAG=${q(version)}`,
    `CRDB_SIM_FAULTS=${q(faults)}`,
    'CRDB_SIM_ARGV0="$0"',
    "export CRDB_SIM_TAG CRDB_SIM_FAULTS CRDB_SIM_ARGV0",
    // The exact answer of version-cmd.ts (the tag and a newline), without booting Node.js: a probe of 50
    // nodes otherwise starts 50-100 simulator processes (~0.1 s of CPU each) where CockroachDB's Go binary
    // answers in milliseconds. Any other form of the command goes to the CLI.
    '[ "$#" -eq 2 ] && [ "$1" = version ] && [ "$2" = --build-tag ] && { printf \'%s\\n\' "$CRDB_SIM_TAG"; exit 0; }',
    `exec ${q(process.execPath)} ${q(CLI_ENTRY)} "$@"`,
    "",
  ].join("\n");
}

export function buildRelease(version: string, outDir: string, faults = ""): Release {
  if (!isValidTag(version)) throw new Error(`release: ${JSON.stringify(version)} is not a version tag like v23.1.11`);
  parseFaults(faults); // fail early on unknown fault names
  fs.mkdirSync(outDir, { recursive: true });
  const base = releaseBaseName(version);
  const geos = (name: string): Buffer => Buffer.from(`simulated ${name} for ${version}\n`);
  const archive = tarGz([
    { name: `${base}/`, mode: 0o755 },
    { name: `${base}/cockroach`, mode: 0o755, content: Buffer.from(cockroachScript(version, faults)) },
    { name: `${base}/lib/`, mode: 0o755 },
    { name: `${base}/lib/libgeos.so`, mode: 0o644, content: geos("libgeos.so") },
    { name: `${base}/lib/libgeos_c.so`, mode: 0o644, content: geos("libgeos_c.so") },
  ]);
  const tarball = path.join(path.resolve(outDir), `${base}.tgz`);
  fs.writeFileSync(tarball, archive);
  const sha256 = createHash("sha256").update(archive).digest("hex");
  const sha256File = `${tarball}.sha256sum`;
  fs.writeFileSync(sha256File, `${sha256}  ${path.basename(tarball)}\n`);
  return { dir: path.dirname(tarball), tarball, sha256, sha256File };
}
