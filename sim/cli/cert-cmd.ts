/**
 * `cockroach cert create-ca | create-node <host>... | create-client <user>`
 * with `--certs-dir` (default ~/.cockroach-certs) and `--ca-key`, writing
 * the files CockroachDB writes (common/certs.ts). Success prints nothing;
 * failures print `ERROR: failed to generate ...: <cause>`, exit 1.
 */
import * as os from "os";
import * as path from "path";
import { CertError, CertOptions, createCa, createClientCert, createNodeCert } from "../common/certs";
import { CliError } from "./errors";
import { FlagSpec, ParsedArgs, UsageError, flagBool, flagString, parseFlags } from "./flags";

const CERT_FLAGS: readonly FlagSpec[] = [
  { name: "certs-dir", kind: "string" },
  { name: "ca-key", kind: "string" },
  { name: "key-size", kind: "string" },
  { name: "lifetime", kind: "string" },
  { name: "overwrite", kind: "bool" },
  { name: "allow-ca-key-reuse", kind: "bool" },
  { name: "also-generate-pkcs8-key", kind: "bool" },
];

export function defaultCertsDir(): string {
  return process.env.COCKROACH_CERTS_DIR ?? path.join(os.homedir(), ".cockroach-certs");
}

function certOptions(p: ParsedArgs): CertOptions {
  const caKey = flagString(p, "ca-key") ?? process.env.COCKROACH_CA_KEY;
  if (!caKey) throw new UsageError('required flag(s) "ca-key" not set');
  const keySize = Number(flagString(p, "key-size") ?? 2048);
  if (!Number.isInteger(keySize) || keySize < 1024)
    throw new UsageError(`invalid argument "${flagString(p, "key-size")}" for "--key-size" flag`);
  return {
    certsDir: path.resolve(flagString(p, "certs-dir") ?? defaultCertsDir()),
    caKey: path.resolve(caKey),
    keySize,
    overwrite: flagBool(p, "overwrite"),
  };
}

function failed(what: string, e: unknown): never {
  if (e instanceof CertError) throw new CliError(`failed to generate ${what}: ${e.message}`);
  throw e;
}

export function runCert(args: readonly string[]): number {
  const [sub, ...rest] = args;
  const p = parseFlags(rest, CERT_FLAGS);
  switch (sub) {
    case "create-ca": {
      if (p.positionals.length > 0) throw new UsageError(`accepts 0 arg(s), received ${p.positionals.length}`);
      const opts = certOptions(p);
      try {
        createCa({ ...opts, allowKeyReuse: flagBool(p, "allow-ca-key-reuse") });
      } catch (e) {
        failed("CA cert and key", e);
      }
      return 0;
    }
    case "create-node": {
      const opts = certOptions(p);
      try {
        createNodeCert(opts, p.positionals);
      } catch (e) {
        failed("node certificate and key", e);
      }
      return 0;
    }
    case "create-client": {
      if (p.positionals.length !== 1) throw new UsageError(`accepts 1 arg(s), received ${p.positionals.length}`);
      const opts = certOptions(p);
      try {
        createClientCert(opts, p.positionals[0]);
      } catch (e) {
        failed("client certificate and key", e);
      }
      return 0;
    }
    case undefined:
      throw new UsageError(`"cockroach cert" requires a subcommand: create-ca, create-node, create-client`);
    default:
      throw new UsageError(`unknown command "${sub}" for "cockroach cert"`);
  }
}
