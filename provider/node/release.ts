/**
 * Release artifacts: the URL from the template, the expected sha256 (given,
 * or the published `<url>.sha256sum`), and, in air-gapped mode (fetch
 * "provider"), the tarball downloaded and verified once by the provider.
 * Staging on a node is release-stage.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { fileURLToPath } from "url";
import { NodeOpFailed, PhaseFailed, subjectOf } from "../core/errors";
import { httpDownload, httpGet } from "../transport/http";
import { shellQuote, type Transport } from "../transport/transport";
import type { NodeSpec, Spec } from "../core/types";
import { trimOut } from "./shell";
import { redact } from "../core/redact";

export interface ReleaseRef {
  readonly version: string;
  readonly url: string;
  /** Lower-case hex. */
  readonly sha256: string;
}

/** A release staged on a node (release-stage.ts). */
export interface StagedRelease {
  readonly dir: string;
  readonly binary: string;
  readonly libDir: string;
  /** Found already staged and verified: nothing was downloaded. */
  readonly reused: boolean;
}

/** A tarball download or copy, its checksum and unpacking: hundreds of MB over a slow link. */
export const DOWNLOAD_TIMEOUT_MS = 20 * 60_000;
/** A checksum file, a directory, a marker. */
export const SMALL_TIMEOUT_MS = 60_000;
const SHA256_RE = /^[0-9a-f]{64}$/;

export function releaseUrl(template: string, version: string): string {
  return template.split("{version}").join(version);
}

/** The URL with its credentials masked, for messages: the one masking function, redact.ts. */
export function redactUrl(url: string): string {
  return redact(url);
}

/** Parses a `.sha256sum` body: `<hex>  <file>`. Refuses HTML and anything else with a clear reason. */
export function parseSha256Sum(body: string, url: string): string {
  if (looksLikeHtml(body)) throw new PhaseFailed("stage-release", undefined, `${redactUrl(url)} served HTML, not a checksum file`);
  const first = body.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!SHA256_RE.test(first)) throw new PhaseFailed("stage-release", undefined, `${redactUrl(url)} does not hold a sha256 checksum`);
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
      throw new PhaseFailed("stage-release", undefined, `cannot fetch ${redactUrl(sumUrl)}`, e.message);
    });
    if (res.status !== 200)
      throw new PhaseFailed(
        "stage-release",
        undefined,
        `cannot fetch ${redactUrl(sumUrl)}`,
        `HTTP ${res.status} (${missingSumHint(version)})`,
      );
    body = res.body;
  } else {
    const r = await firstNode.transport.exec(["sh", "-c", fetchToStdout(sumUrl)], { timeoutMs: SMALL_TIMEOUT_MS, signal });
    if (r.code !== 0) {
      throw new NodeOpFailed(
        "stage-release",
        subjectOf(firstNode.node),
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

/** Air-gapped mode: the provider downloads the tarball once and verifies it; returns the local path and a cleanup. */
export async function downloadOnProvider(rel: ReleaseRef, signal?: AbortSignal): Promise<{ readonly file: string; cleanup(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-release-"));
  const file = path.join(dir, path.posix.basename(new URL(rel.url).pathname) || "release.tgz");
  const cleanup = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const res = rel.url.startsWith("file:")
      ? (fs.copyFileSync(fileURLToPath(rel.url), file), { status: 200 })
      : await httpDownload(rel.url, file, { timeoutMs: DOWNLOAD_TIMEOUT_MS, signal });
    if (res.status !== 200)
      throw new PhaseFailed("stage-release", undefined, `cannot download ${redactUrl(rel.url)}`, `HTTP ${res.status}`);
    const head = readHead(file);
    if (looksLikeHtml(head)) throw new PhaseFailed("stage-release", undefined, `${redactUrl(rel.url)} served HTML, not a release tarball`);
    const got = await sha256File(file);
    if (got !== rel.sha256)
      throw new PhaseFailed("stage-release", undefined, `checksum mismatch for ${redactUrl(rel.url)}: expected ${rel.sha256}, got ${got}`);
    return { file, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
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
    throw new PhaseFailed("stage-release", undefined, `cannot read ${redactUrl(url)}`, (e as Error).message);
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
