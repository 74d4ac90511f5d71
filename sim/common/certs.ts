/**
 * X.509 material laid out as `cockroach cert` writes it (DOCS
 * `cockroach-cert.md`): `<certs-dir>/ca.crt` plus the CA key at
 * `--ca-key`; `node.crt`/`node.key` (CN=node, SANs for every host the node
 * answers on, server and client auth); `client.<user>.crt`/`.key` (CN=user,
 * client auth). Keys are RSA (2048 bits by default), PKCS#1 PEM, mode 0600;
 * certificates mode 0644. Real certificates are made with the `openssl`
 * command (Debian package `openssl`), so any TLS stack accepts them.
 */
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface CertOptions {
  readonly certsDir: string;
  readonly caKey: string;
  /** RSA key size in bits. Defaults to 2048. */
  readonly keySize?: number;
  /** Replace existing files instead of refusing. */
  readonly overwrite?: boolean;
}

const CA_DAYS = 3660; // CockroachDB: 10 years
const LEAF_DAYS = 1830; // CockroachDB: 5 years

export class CertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CertError";
  }
}

function openssl(args: readonly string[], input?: string): string {
  try {
    return execFileSync("openssl", [...args], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new CertError("the simulator needs the openssl command to make certificates (Debian package openssl)");
    throw new CertError(`openssl ${args[0]} failed: ${String(err.stderr ?? err.message).trim()}`);
  }
}

/** Refuses to replace an existing file unless overwriting, with Go's `open <f>: file exists` wording. */
function checkWritable(file: string, what: string, overwrite: boolean): void {
  if (!overwrite && fs.existsSync(file)) throw new CertError(`error writing ${what} to ${file}: open ${file}: file exists`);
}

function writeFile(file: string, pem: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file + ".tmp", pem, { mode });
  fs.chmodSync(file + ".tmp", mode);
  fs.renameSync(file + ".tmp", file);
}

function newKey(bits: number): string {
  return openssl(["genrsa", "-traditional", String(bits)]);
}

function serial(): string {
  return (
    "0x" +
    randomBytes(16)
      .toString("hex")
      .replace(/^[89a-f]/, "1")
  );
}

/** Runs `fn` with a private temp dir (for the key and extension files openssl reads), then removes it. */
function withTemp<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-sim-cert-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `cert create-ca`: a self-signed CA; reuses an existing CA key only when asked. */
export function createCa(opts: CertOptions & { readonly allowKeyReuse?: boolean }): void {
  const caCrt = path.join(opts.certsDir, "ca.crt");
  checkWritable(caCrt, "CA certificate", opts.overwrite === true);
  const reuse = fs.existsSync(opts.caKey) && opts.allowKeyReuse === true;
  if (!reuse) checkWritable(opts.caKey, "CA key", opts.overwrite === true);
  const key = reuse ? fs.readFileSync(opts.caKey, "utf8") : newKey(opts.keySize ?? 2048);
  const cert = withTemp((tmp) => {
    const keyFile = path.join(tmp, "ca.key");
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    return openssl([
      "req",
      "-new",
      "-x509",
      "-key",
      keyFile,
      "-days",
      String(CA_DAYS),
      "-sha256",
      "-set_serial",
      serial(),
      "-subj",
      "/O=Cockroach/CN=Cockroach CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
    ]);
  });
  if (!reuse) writeFile(opts.caKey, key, 0o600);
  writeFile(caCrt, cert, 0o644);
}

interface LeafSpec {
  readonly commonName: string;
  readonly extendedKeyUsage: string;
  readonly hosts: readonly string[];
  readonly file: string;
  readonly what: string;
}

function createLeaf(opts: CertOptions, spec: LeafSpec): void {
  const caCrt = path.join(opts.certsDir, "ca.crt");
  if (!fs.existsSync(caCrt)) throw new CertError(`could not read CA certificate: open ${caCrt}: no such file or directory`);
  if (!fs.existsSync(opts.caKey)) throw new CertError(`could not read CA key: open ${opts.caKey}: no such file or directory`);
  const crtFile = path.join(opts.certsDir, `${spec.file}.crt`);
  const keyFile = path.join(opts.certsDir, `${spec.file}.key`);
  checkWritable(crtFile, `${spec.what} certificate`, opts.overwrite === true);
  checkWritable(keyFile, `${spec.what} key`, opts.overwrite === true);
  const key = newKey(opts.keySize ?? 2048);
  const cert = withTemp((tmp) => {
    const tmpKey = path.join(tmp, "leaf.key");
    fs.writeFileSync(tmpKey, key, { mode: 0o600 });
    const ext = path.join(tmp, "ext.cnf");
    const san = spec.hosts.map((h) => (net.isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
    fs.writeFileSync(
      ext,
      [
        "keyUsage=critical,digitalSignature,keyEncipherment",
        `extendedKeyUsage=${spec.extendedKeyUsage}`,
        ...(san ? [`subjectAltName=${san}`] : []),
      ].join("\n") + "\n",
    );
    const csr = openssl(["req", "-new", "-key", tmpKey, "-subj", `/O=Cockroach/CN=${spec.commonName}`]);
    return openssl(
      ["x509", "-req", "-CA", caCrt, "-CAkey", opts.caKey, "-set_serial", serial(), "-days", String(LEAF_DAYS), "-sha256", "-extfile", ext],
      csr,
    );
  });
  writeFile(keyFile, key, 0o600);
  writeFile(crtFile, cert, 0o644);
}

/** `cert create-node <host>...`: node.crt/node.key valid for every given host name or IP. */
export function createNodeCert(opts: CertOptions, hosts: readonly string[]): void {
  if (hosts.length === 0) throw new CertError("create-node requires at least one host name or address, none was specified");
  createLeaf(opts, { commonName: "node", extendedKeyUsage: "serverAuth,clientAuth", hosts, file: "node", what: "node server" });
}

/** `cert create-client <user>`: client.<user>.crt/.key for certificate authentication as <user>. */
export function createClientCert(opts: CertOptions, user: string): void {
  if (!/^[a-z_][a-z0-9_.-]*$/i.test(user)) throw new CertError(`invalid username: ${JSON.stringify(user)}`);
  createLeaf(opts, {
    commonName: user.toLowerCase(),
    extendedKeyUsage: "clientAuth",
    hosts: [],
    file: `client.${user.toLowerCase()}`,
    what: "client",
  });
}

/** The files a client needs for `user` in `certsDir`, if present. */
export function clientCertFiles(certsDir: string, user: string): { readonly cert: string; readonly key: string } | undefined {
  const cert = path.join(certsDir, `client.${user}.crt`);
  const key = path.join(certsDir, `client.${user}.key`);
  return fs.existsSync(cert) && fs.existsSync(key) ? { cert, key } : undefined;
}
