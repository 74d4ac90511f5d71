/**
 * How a client command reaches a node: `--insecure` (or COCKROACH_INSECURE)
 * for clear text, else TLS with `--certs-dir` (default
 * ~/.cockroach-certs): ca.crt to verify the node, and for SQL the user's
 * client certificate `client.<user>.crt` when present (a password from
 * `--url` otherwise). RPCs (drain, debug zip) present client.root.crt, or
 * node.crt when there is no root certificate, as CockroachDB's CLI does.
 */
import * as fs from "fs";
import * as path from "path";
import { clientCertFiles } from "../common/certs";
import type { RpcTls } from "../node/rpc";
import { defaultCertsDir } from "./cert-cmd";
import { CliError } from "./errors";
import { ParsedArgs, flagBool, flagString } from "./flags";

export type ClientSecurity = { readonly insecure: true } | { readonly insecure: false; readonly certsDir: string; readonly ca: Buffer };

const CANNOT_LOAD =
  "cannot load certificates.\nCheck your certificate settings, set --certs-dir, or use --insecure for insecure clusters.\n\n";

export function resolveSecurity(p: ParsedArgs): ClientSecurity {
  const url = flagString(p, "url");
  const urlInsecure = url !== undefined && new URL(url).searchParams.get("sslmode") === "disable";
  if (flagBool(p, "insecure") || urlInsecure || /^(true|1)$/i.test(process.env.COCKROACH_INSECURE ?? "")) return { insecure: true };
  const certsDir = path.resolve(flagString(p, "certs-dir") ?? process.env.COCKROACH_CERTS_DIR ?? defaultCertsDir());
  if (!fs.existsSync(certsDir))
    throw new CliError(CANNOT_LOAD + "problem using security settings: no certificates found; does certs dir exist?");
  const caFile = path.join(certsDir, "ca.crt");
  if (!fs.existsSync(caFile)) throw new CliError(CANNOT_LOAD + "problem with CA certificate: not found");
  return { insecure: false, certsDir, ca: fs.readFileSync(caFile) };
}

export interface SqlTls {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: true;
}

/** pg's `ssl` option for `user`, or false in insecure mode. */
export function sqlTls(sec: ClientSecurity, user: string): SqlTls | false {
  if (sec.insecure) return false;
  const files = clientCertFiles(sec.certsDir, user);
  return files
    ? { ca: sec.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), rejectUnauthorized: true }
    : { ca: sec.ca, rejectUnauthorized: true };
}

/** Client TLS for RPCs, or undefined in insecure mode. */
export function rpcTls(sec: ClientSecurity): RpcTls | undefined {
  if (sec.insecure) return undefined;
  const files = clientCertFiles(sec.certsDir, "root") ?? {
    cert: path.join(sec.certsDir, "node.crt"),
    key: path.join(sec.certsDir, "node.key"),
  };
  if (!fs.existsSync(files.cert) || !fs.existsSync(files.key)) {
    throw new CliError(CANNOT_LOAD + "problem with client certificate: no certificate for user root or node in " + sec.certsDir);
  }
  return { ca: sec.ca, cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) };
}

/** The `sslmode` part of a connection URL as the CLI prints it. */
export function urlSslParams(sec: ClientSecurity, user: string): string {
  if (sec.insecure) return "sslmode=disable";
  const files = clientCertFiles(sec.certsDir, user);
  const parts = ["sslmode=verify-full", `sslrootcert=${path.join(sec.certsDir, "ca.crt")}`];
  if (files) parts.push(`sslcert=${files.cert}`, `sslkey=${files.key}`);
  return parts.join("&");
}
