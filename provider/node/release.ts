/**
 * Release artifacts: the URL from the template, the expected sha256 (given,
 * or the published `<url>.sha256sum`), and staging the unpacked release on a
 * node under `<stagingDir>/<version>/` — downloaded by the node itself
 * (curl or wget, fetch "node") or by the provider once and copied over
 * (fetch "provider", air-gapped hosts). A release is used only after its
 * sha256 matched and its binary reported the expected build tag; a staged
 * release that was verified before is reused without downloading again.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { fileURLToPath } from "url";
import { NodeOpFailed } from "../core/errors";
import { httpDownload, httpGet } from "../transport/http";
import { shellQuote, type Transport } from "../transport/transport";
import type { NodeSpec, Spec } from "../core/types";
import { parseBuildTag, trimOut } from "./ops";
import { redact } from "../core/redact";

export interface ReleaseRef {
  readonly version: string;
  readonly url: string;
  /** Lower-case hex. */
  readonly sha256: string;
}

export interface StagedRelease {
  readonly dir: string;
  readonly binary: string;
  readonly libDir: string;
  /** Found already staged and verified: nothing was downloaded. */
  readonly reused: boolean;
}

const DOWNLOAD_TIMEOUT_MS = 20 * 60_000;
const SMALL_TIMEOUT_MS = 60_000;
const SHA256_RE = /^[0-9a-f]{64}$/;
const MARKER = ".verified";

export function releaseUrl(template: string, version: string): string {
  return template.split("{version}").join(version);
}

/** The URL with its credentials masked, for messages: the one masking function, redact.ts. */
export function redactUrl(url: string): string {
  return redact(url);
}

/** Parses a `.sha256sum` body: `<hex>  <file>`. Refuses HTML and anything else with a clear reason. */
export function parseSha256Sum(body: string, url: string): string {
  if (looksLikeHtml(body)) throw new Error(`${redactUrl(url)} served HTML, not a checksum file`);
  const first = body.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!SHA256_RE.test(first)) throw new Error(`${redactUrl(url)} does not hold a sha256 checksum`);
  return first;
}

export function looksLikeHtml(head: string): boolean {
  return /^\s*(<!doctype html|<html|<head|<body|<\?xml)/i.test(head) || /<html[\s>]/i.test(head.slice(0, 1024));
}

/**
 * The release to install: URL from the template, sha256 from the spec or
 * fetched by the provider from `<url>.sha256sum`. When the provider cannot
 * reach the URL (hosts may have network access the provider lacks), it asks
 * the first node to fetch the checksum.
 */
export async function resolveRelease(
  spec: Spec,
  firstNode: { transport: Transport; node: NodeSpec },
  signal?: AbortSignal,
  version: string = spec.version,
): Promise<ReleaseRef> {
  const url = releaseUrl(spec.release.urlTemplate, version);
  // release.sha256 is the TARGET's checksum; any other version (the previous one, for a rollback) uses its .sha256sum.
  if (spec.release.sha256 && version === spec.version) return { version, url, sha256: spec.release.sha256.toLowerCase() };
  const sumUrl = `${url}.sha256sum`;
  let body: string;
  if (spec.release.fetch === "provider" && sumUrl.startsWith("file:")) {
    body = readLocalUrl(sumUrl);
  } else if (spec.release.fetch === "provider") {
    const res = await httpGet(sumUrl, { timeoutMs: SMALL_TIMEOUT_MS, signal, maxBytes: 64 * 1024 }).catch((e: Error) => {
      throw new Error(`cannot fetch ${redactUrl(sumUrl)}: ${e.message}`);
    });
    if (res.status !== 200) throw new Error(`cannot fetch ${redactUrl(sumUrl)}: HTTP ${res.status} (${missingSumHint(version)})`);
    body = res.body;
  } else {
    const r = await firstNode.transport.exec(["sh", "-c", fetchToStdout(sumUrl)], { timeoutMs: SMALL_TIMEOUT_MS, signal });
    if (r.code !== 0) {
      throw new NodeOpFailed(
        "stage-release",
        nodeSubject(firstNode.node),
        `cannot fetch ${redactUrl(sumUrl)} (${missingSumHint(version)})`,
        trimOut(r.stderr),
      );
    }
    body = r.stdout;
  }
  return { version, url, sha256: parseSha256Sum(body, sumUrl) };
}

/** A missing checksum most often means a version that was never published (a typo), else a mirror without .sha256sum files. */
function missingSumHint(version: string): string {
  return `is ${version} a published release, and does release.urlTemplate point at it? A mirror without .sha256sum files needs release.sha256`;
}

/** Stages and verifies the release on one node; reuses a verified copy. */
export async function stageOnNode(
  target: { readonly transport: Transport; readonly node: NodeSpec },
  rel: ReleaseRef,
  via: { readonly localTarball?: string },
  signal?: AbortSignal,
): Promise<StagedRelease> {
  const stager = new NodeStager(target.transport, target.node, rel, signal);
  if (await stager.isVerified()) return stager.staged(true);
  await stager.prepareDir();
  if (via.localTarball) await stager.copyFromProvider(via.localTarball);
  else await stager.downloadOnNode();
  await stager.checkTarball();
  await stager.unpack();
  await stager.checkBinary();
  await stager.markVerified();
  return stager.staged(false);
}

/** Air-gapped mode: the provider downloads the tarball once and verifies it; returns the local path and a cleanup. */
export async function downloadOnProvider(rel: ReleaseRef, signal?: AbortSignal): Promise<{ readonly file: string; cleanup(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-release-"));
  const file = path.join(dir, path.posix.basename(new URL(rel.url).pathname) || "release.tgz");
  const cleanup = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const res = rel.url.startsWith("file:")
      ? (fs.copyFileSync(fileURLToPath(rel.url), file), { status: 200 })
      : await httpDownload(rel.url, file, { timeoutMs: DOWNLOAD_TIMEOUT_MS, signal });
    if (res.status !== 200) throw new Error(`cannot download ${redactUrl(rel.url)}: HTTP ${res.status}`);
    const head = readHead(file);
    if (looksLikeHtml(head)) throw new Error(`${redactUrl(rel.url)} served HTML, not a release tarball`);
    const got = await sha256File(file);
    if (got !== rel.sha256) throw new Error(`checksum mismatch for ${redactUrl(rel.url)}: expected ${rel.sha256}, got ${got}`);
    return { file, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

class NodeStager {
  readonly dir: string;

  constructor(
    private readonly transport: Transport,
    private readonly node: NodeSpec,
    private readonly rel: ReleaseRef,
    private readonly signal?: AbortSignal,
  ) {
    this.dir = path.posix.join(node.stagingDir, rel.version);
  }

  private get tarball(): string {
    return path.posix.join(this.dir, "release.tgz");
  }

  staged(reused: boolean): StagedRelease {
    return { dir: this.dir, binary: path.posix.join(this.dir, "cockroach"), libDir: path.posix.join(this.dir, "lib"), reused };
  }

  async isVerified(): Promise<boolean> {
    const marker = shellQuote(path.posix.join(this.dir, MARKER));
    const r = await this.sh(`[ -f ${marker} ] && cat ${marker}`, SMALL_TIMEOUT_MS);
    if (r.code !== 0 || r.stdout.trim() !== this.rel.sha256) return false;
    const tag = await this.sh(`${shellQuote(this.staged(false).binary)} version --build-tag`, SMALL_TIMEOUT_MS);
    return tag.code === 0 && parseBuildTag(tag.stdout) === this.rel.version;
  }

  async prepareDir(): Promise<void> {
    const r = await this.sh(`rm -rf ${shellQuote(this.dir)} && mkdir -p ${shellQuote(this.dir)}`, SMALL_TIMEOUT_MS);
    if (r.code !== 0) this.fail(`cannot create ${this.dir}`, r.stderr);
  }

  async copyFromProvider(localTarball: string): Promise<void> {
    await this.transport.putFile(localTarball, this.tarball, 0o644);
  }

  async downloadOnNode(): Promise<void> {
    const r = await this.sh(fetchToFile(this.rel.url, this.tarball), DOWNLOAD_TIMEOUT_MS);
    if (r.code === 127) this.fail("neither curl nor wget is installed on the node", "");
    if (r.code !== 0) this.fail(`cannot download ${redactUrl(this.rel.url)}`, r.stderr);
  }

  /** HTML instead of a tarball (a login page, an error page) and checksum mismatches are refused. */
  async checkTarball(): Promise<void> {
    const t = shellQuote(this.tarball);
    const head = await this.sh(`head -c 1024 ${t}`, SMALL_TIMEOUT_MS);
    if (looksLikeHtml(head.stdout)) this.fail(`${redactUrl(this.rel.url)} served HTML, not a release tarball`, "");
    const sum = await this.sh(`sha256sum ${t}`, DOWNLOAD_TIMEOUT_MS);
    if (sum.code !== 0) this.fail("sha256sum failed", sum.stderr);
    const got = sum.stdout.trim().split(/\s+/)[0]?.toLowerCase();
    if (got !== this.rel.sha256) this.fail(`checksum mismatch for ${redactUrl(this.rel.url)}: expected ${this.rel.sha256}, got ${got}`, "");
  }

  /** Unpacks `cockroach-<v>.<platform>/{cockroach,lib/}` and moves both to the staging dir. */
  async unpack(): Promise<void> {
    const d = shellQuote(this.dir);
    const script = [
      "set -e",
      `cd ${d}`,
      "rm -rf x && mkdir x",
      "tar -xzf release.tgz -C x",
      "bin=$(ls -d x/*/cockroach x/cockroach 2>/dev/null | head -n 1)",
      '[ -n "$bin" ] || { echo "no cockroach binary in the tarball" >&2; exit 1; }',
      'src=$(dirname "$bin")',
      'mv "$bin" cockroach && chmod 755 cockroach',
      'if [ -d "$src/lib" ]; then rm -rf lib && mv "$src/lib" lib; fi',
      "rm -rf x release.tgz",
    ].join("\n");
    const r = await this.sh(script, DOWNLOAD_TIMEOUT_MS);
    if (r.code !== 0) this.fail("cannot unpack the release", r.stderr);
  }

  async checkBinary(): Promise<void> {
    const r = await this.sh(`${shellQuote(this.staged(false).binary)} version --build-tag`, SMALL_TIMEOUT_MS);
    if (r.code !== 0) this.fail("the staged binary does not run on this host", r.stderr || r.stdout);
    const tag = parseBuildTag(r.stdout);
    if (tag !== this.rel.version) this.fail(`${redactUrl(this.rel.url)} contains ${tag}, not ${this.rel.version}`, "");
  }

  async markVerified(): Promise<void> {
    const r = await this.sh(`echo ${this.rel.sha256} > ${shellQuote(path.posix.join(this.dir, MARKER))}`, SMALL_TIMEOUT_MS);
    if (r.code !== 0) this.fail("cannot write the verification marker", r.stderr);
  }

  private sh(script: string, timeoutMs: number) {
    return this.transport.exec(["sh", "-c", script], { timeoutMs, signal: this.signal });
  }

  private fail(what: string, cause: string): never {
    throw new NodeOpFailed("stage-release", nodeSubject(this.node), what, cause ? trimOut(cause) : undefined);
  }
}

function nodeSubject(node: NodeSpec): { name: string; host: string } {
  return { name: node.name, host: node.sqlAddr.host };
}

/** curl or wget, whichever the host has; exit 127 when neither. HTTP errors fail the command. */
function fetchToFile(url: string, dest: string): string {
  const u = shellQuote(url);
  const part = shellQuote(`${dest}.part`);
  return (
    [
      "set -e",
      `if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 -o ${part} ${u}`,
      `elif command -v wget >/dev/null 2>&1; then wget -q -O ${part} ${u}`,
      "else exit 127; fi",
      `mv -f ${part} ${shellQuote(dest)}`,
    ].join("\n") + "\n"
  );
}

function fetchToStdout(url: string): string {
  const u = shellQuote(url);
  return `if command -v curl >/dev/null 2>&1; then curl -fsSL --retry 2 ${u}; elif command -v wget >/dev/null 2>&1; then wget -q -O - ${u}; else exit 127; fi`;
}

/** file:// URLs (air-gapped hosts, tests): the tarball or checksum is already on this machine. */
function readLocalUrl(url: string): string {
  try {
    return fs.readFileSync(fileURLToPath(url), "utf8");
  } catch (e) {
    throw new Error(`cannot read ${url}: ${(e as Error).message}`);
  }
}

function readHead(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("latin1");
  } finally {
    fs.closeSync(fd);
  }
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash("sha256");
    fs.createReadStream(file)
      .on("data", (b) => h.update(b))
      .on("end", () => resolve(h.digest("hex")))
      .on("error", reject);
  });
}
