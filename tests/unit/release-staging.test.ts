/**
 * Release staging through the local transport against a real HTTP server
 * on loopback serving real tarballs (made with tar; the binary inside is a
 * small script answering `version --build-tag`). The release is used only
 * when its sha256 matches and its binary reports the expected build; HTML,
 * mismatches and unreachable URLs are refused with a clear message; a
 * verified release is reused without downloading again.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { NodeOps } from "../../provider/node/ops";
import {
  downloadOnProvider,
  looksLikeHtml,
  parseSha256Sum,
  redactUrl,
  releaseUrl,
  resolveRelease,
  stageOnNode,
} from "../../provider/node/release";
import { LocalTransport } from "../../provider/transport/local";
import type { NodeSpec, Spec } from "../../provider/core/types";

const HOST = "127.0.20.250";

function makeTarball(dir: string, version: string, binaryTag = version): { file: string; sha256: string } {
  const root = path.join(dir, "build", `cockroach-${version}.linux-amd64`);
  fs.mkdirSync(path.join(root, "lib"), { recursive: true });
  fs.writeFileSync(path.join(root, "cockroach"), `#!/bin/sh\n[ "$1" = version ] && echo ${binaryTag}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(root, "lib", "libgeos.so"), "geos");
  const file = path.join(dir, "www", `cockroach-${version}.linux-amd64.tgz`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync("tar", ["-czf", file, "-C", path.join(dir, "build"), `cockroach-${version}.linux-amd64`]);
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  fs.writeFileSync(`${file}.sha256sum`, `${sha256}  ${path.basename(file)}\n`);
  return { file, sha256 };
}

describe("provider/release: staging on a node", function () {
  this.timeout(30_000);
  let dir: string;
  let server: http.Server;
  let base: string;
  let downloads = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "release-"));
    makeTarball(dir, "v23.1.12");
    makeTarball(dir, "v23.1.13", "v23.1.99");
    server = http.createServer((req, res) => {
      const url = req.url ?? "/";
      if (url.startsWith("/html/")) {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<!DOCTYPE html><html><body>Sign in</body></html>");
        return;
      }
      const file = path.join(dir, "www", path.basename(url));
      if (!fs.existsSync(file)) {
        res.writeHead(404);
        res.end("not found");
        return;
      }
      if (url.endsWith(".tgz")) downloads++;
      res.writeHead(200);
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, HOST, r));
    base = `http://${HOST}:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function target(name: string): { transport: LocalTransport; node: NodeSpec } {
    const home = path.join(dir, "nodes", name);
    fs.mkdirSync(home, { recursive: true });
    const node = {
      name,
      connection: { kind: "local", host: "localhost", port: 22, user: "root", dialErrorLimit: 1, perDialTimeoutMs: 1000 },
      sqlAddr: { host: "127.0.20.251", port: 26257 },
      httpAddr: { host: "127.0.20.251", port: 8080 },
      rpcAddr: { host: "127.0.20.251", port: 26257 },
      locality: "",
      binaryPath: path.join(home, "cockroach"),
      stagingDir: path.join(home, ".crdb-upgrade"),
      process: { manager: "cockroach", startFlags: [], pidFile: path.join(home, "pid") },
    } as NodeSpec;
    return { transport: new LocalTransport(), node };
  }

  function spec(version: string, release: Partial<Spec["release"]>): Spec {
    return { version, release: { urlTemplate: `${base}/cockroach-{version}.linux-amd64.tgz`, fetch: "node", ...release } } as Spec;
  }

  it("downloads on the node, verifies the published checksum, unpacks binary and lib", async () => {
    const t = target("a");
    const rel = await resolveRelease(spec("v23.1.12", {}), t);
    const staged = await stageOnNode(t, rel, {});
    assert.strictEqual(staged.reused, false);
    assert.strictEqual(await new NodeOps(t.node, t.transport, { insecure: true }).buildOf(staged.binary), "v23.1.12");
    assert.ok(fs.existsSync(path.join(staged.libDir, "libgeos.so")));
    assert.ok(!fs.existsSync(path.join(staged.dir, "release.tgz")), "the tarball is removed after unpacking");
  });

  it("reuses a release already staged and verified, without downloading", async () => {
    const t = target("b");
    const rel = await resolveRelease(spec("v23.1.12", {}), t);
    await stageOnNode(t, rel, {});
    const before = downloads;
    const again = await stageOnNode(t, rel, {});
    assert.strictEqual(again.reused, true);
    assert.strictEqual(downloads, before);
  });

  it("refuses a tarball whose sha256 does not match", async () => {
    const t = target("c");
    const rel = await resolveRelease(spec("v23.1.12", { sha256: "0".repeat(64) }), t);
    await assert.rejects(
      stageOnNode(t, rel, {}),
      /^NodeOpFailed: stage-release node c \(127\.0\.20\.251\): checksum mismatch for http:.*: expected 0{64}, got [0-9a-f]{64}/,
    );
  });

  it("refuses a URL that serves HTML instead of a tarball", async () => {
    const t = target("d");
    const rel = { version: "v23.1.12", url: `${base}/html/cockroach-v23.1.12.linux-amd64.tgz`, sha256: "1".repeat(64) };
    await assert.rejects(stageOnNode(t, rel, {}), /served HTML, not a release tarball/);
    await assert.rejects(
      resolveRelease({ ...spec("v23.1.12", {}), release: { urlTemplate: `${base}/html/x-{version}.tgz`, fetch: "node" } } as Spec, t),
      /served HTML, not a checksum file/,
    );
  });

  it("refuses an unreachable URL, naming it", async () => {
    const t = target("e");
    const rel = { version: "v23.1.12", url: "http://127.0.20.252:9/cockroach.tgz", sha256: "1".repeat(64) };
    await assert.rejects(stageOnNode(t, rel, {}), /cannot download http:\/\/127\.0\.20\.252:9\/cockroach\.tgz/);
  });

  it("refuses a release whose binary reports another build", async () => {
    const t = target("f");
    const rel = await resolveRelease(spec("v23.1.13", {}), t);
    await assert.rejects(stageOnNode(t, rel, {}), /contains v23\.1\.99, not v23\.1\.13/);
  });

  it("air-gapped: the provider downloads and verifies once, the node verifies the copy", async () => {
    const t = target("g");
    const s = spec("v23.1.12", { fetch: "provider" });
    const rel = await resolveRelease(s, t);
    const local = await downloadOnProvider(rel);
    try {
      const staged = await stageOnNode(t, rel, { localTarball: local.file });
      assert.strictEqual(staged.reused, false);
      assert.ok(fs.existsSync(staged.binary));
    } finally {
      local.cleanup();
    }
    assert.ok(!fs.existsSync(local.file), "the provider's copy is removed");
    await assert.rejects(downloadOnProvider({ ...rel, sha256: "2".repeat(64) }), /checksum mismatch/);
  });

  it("renders URLs and checksum files as documented", () => {
    assert.strictEqual(
      releaseUrl("https://binaries.cockroachdb.com/cockroach-{version}.linux-amd64.tgz", "v23.1.12"),
      "https://binaries.cockroachdb.com/cockroach-v23.1.12.linux-amd64.tgz",
    );
    assert.strictEqual(redactUrl("https://user:tok@example.com/x.tgz"), "https://redacted@example.com/x.tgz");
    const hex = "a".repeat(64);
    assert.strictEqual(parseSha256Sum(`${hex}  cockroach-v23.1.12.linux-amd64.tgz\n`, "u"), hex);
    assert.throws(() => parseSha256Sum("not a sum", "u"), /does not hold a sha256 checksum/);
    assert.ok(looksLikeHtml("  <!doctype html><html>"));
    assert.ok(!looksLikeHtml("\x1f\x8b\x08\x00"));
  });
});
