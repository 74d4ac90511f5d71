/**
 * A release staged on one node under `<stagingDir>/<version>/` — downloaded
 * by the node itself (curl or wget, fetch "node") or copied from the
 * provider's verified download (fetch "provider", air-gapped hosts). It is
 * used only after its sha256 matched and its binary reported the expected
 * build tag; a staged release that was verified before is reused without
 * downloading again.
 */
import * as path from "path";
import { NodeOpFailed, subjectOf } from "../core/errors";
import { shellQuote, type Transport } from "../transport/transport";
import type { NodeSpec } from "../core/types";
import { DOWNLOAD_TIMEOUT_MS, SMALL_TIMEOUT_MS, looksLikeHtml, redactUrl, type ReleaseRef, type StagedRelease } from "./release";
import { parseBuildTag, trimOut } from "./shell";

const MARKER = ".verified";

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
    throw new NodeOpFailed("stage-release", subjectOf(this.node), what, cause ? trimOut(cause) : undefined);
  }
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
