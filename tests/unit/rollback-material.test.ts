/**
 * The way back at rollback time (provider/rollout/rollback-material.ts prepareWayBack)
 * and a downgrade's target from `_old` (provider/rollout/stage-from-old.ts), through
 * the local transport against real files: small `cockroach` scripts that
 * answer `version --build-tag`, and a real HTTP release server on loopback.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";
import { NodeOps } from "../../provider/node/ops";
import type { NodeHandle } from "../../provider/cluster/observe";
import { prepareWayBack } from "../../provider/rollout/rollback-material";
import { stageFromOld } from "../../provider/rollout/stage-from-old";
import { LocalTransport } from "../../provider/transport/local";
import type { NodeSpec, Spec } from "../../provider/core/types";

const HOST = "127.0.110.250";
const TARGET = "v23.1.12";
const PREV = "v23.1.11";

const script = (tag: string): string => `#!/bin/sh\n[ "$1" = version ] && echo ${tag}\n`;

function publish(dir: string, version: string): void {
  const root = path.join(dir, "build", `cockroach-${version}.linux-amd64`);
  fs.mkdirSync(path.join(root, "lib"), { recursive: true });
  fs.writeFileSync(path.join(root, "cockroach"), script(version), { mode: 0o755 });
  fs.writeFileSync(path.join(root, "lib", "libgeos.so"), "geos");
  const file = path.join(dir, "www", `cockroach-${version}.linux-amd64.tgz`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync("tar", ["-czf", file, "-C", path.join(dir, "build"), `cockroach-${version}.linux-amd64`]);
  const sha256 = crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  fs.writeFileSync(`${file}.sha256sum`, `${sha256}  ${path.basename(file)}\n`);
}

describe("rollback material: the way back at rollback time, and a downgrade from _old", function () {
  this.timeout(30_000);
  let dir: string;
  let server: http.Server;
  let base: string;
  let downloads = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "waypack-"));
    publish(dir, PREV);
    server = http.createServer((req, res) => {
      const file = path.join(dir, "www", path.basename(req.url ?? "/"));
      // Under /gone/ the mirror no longer has anything.
      if (!fs.existsSync(file) || req.url?.startsWith("/gone/")) {
        res.writeHead(404);
        res.end("not found");
        return;
      }
      if (file.endsWith(".tgz")) downloads++;
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

  /** A node home with `cockroach` (and `_old`, `lib_old` when given) built to report those tags. */
  function node(name: string, binary: string, old?: string): NodeHandle {
    const home = path.join(dir, "nodes", name);
    fs.mkdirSync(home, { recursive: true });
    const binaryPath = path.join(home, "cockroach");
    fs.writeFileSync(binaryPath, script(binary), { mode: 0o755 });
    if (old !== undefined) {
      fs.writeFileSync(`${binaryPath}_old`, script(old), { mode: 0o755 });
      fs.mkdirSync(path.join(home, "lib_old"), { recursive: true });
      fs.writeFileSync(path.join(home, "lib_old", "libgeos.so"), `geos ${old}`);
    }
    const spec = {
      name,
      connection: { kind: "local", host: "localhost", port: 22, user: "root", dialErrorLimit: 1, perDialTimeoutMs: 1000 },
      sqlAddr: { host: HOST, port: 26257 },
      httpAddr: { host: HOST, port: 8080 },
      rpcAddr: { host: HOST, port: 26257 },
      locality: "",
      binaryPath,
      stagingDir: path.join(home, ".crdb-upgrade"),
      process: { manager: "cockroach", startFlags: [], pidFile: path.join(home, "pid") },
    } as NodeSpec;
    return { spec, ops: new NodeOps(spec, new LocalTransport(), { insecure: true }) };
  }

  function specFor(url = base): Spec {
    return { version: TARGET, release: { urlTemplate: `${url}/cockroach-{version}.linux-amd64.tgz`, fetch: "node" } } as Spec;
  }

  const notes: string[] = [];
  const ctx = (expected?: string, url?: string) => ({ spec: specFor(url), expected, note: (m: string) => notes.push(m) });

  it("a node that failed before its swap goes back in place", async () => {
    const h = node("a", PREV);
    assert.deepStrictEqual(await prepareWayBack(h, ctx(PREV)), { binary: PREV, build: PREV });
  });

  it("a swapped node goes back to _old when its build tag is the previous build, without downloading", async () => {
    const h = node("b", TARGET, PREV);
    const before = downloads;
    const way = await prepareWayBack(h, ctx(PREV));
    assert.deepStrictEqual(way.swap, { source: `${h.spec.binaryPath}_old`, libDir: path.join(path.dirname(h.spec.binaryPath), "lib_old") });
    assert.strictEqual(downloads, before);
  });

  it("a missing _old is re-staged from the release source, verified, and noted", async () => {
    const h = node("c", TARGET);
    const way = await prepareWayBack(h, ctx(PREV));
    assert.strictEqual(way.build, PREV);
    assert.strictEqual(way.swap?.source, path.join(h.spec.stagingDir, PREV, "cockroach"));
    assert.strictEqual(await h.ops.buildOf(way.swap.source), PREV);
    assert.ok(
      notes.some((n) => n.startsWith(`c: ${h.spec.binaryPath}_old is missing: re-staged the previous release ${PREV}`)),
      notes.join("\n"),
    );
  });

  it("a wrong _old (another build) is not used: the previous release is staged instead", async () => {
    const h = node("d", TARGET, "v23.1.10");
    const way = await prepareWayBack(h, ctx(PREV));
    assert.strictEqual(way.swap?.source, path.join(h.spec.stagingDir, PREV, "cockroach"));
  });

  it("with neither, the error names the node and both paths tried", async () => {
    const h = node("e", TARGET);
    await assert.rejects(prepareWayBack(h, ctx(PREV, `${base}/gone`)), (e: Error) => {
      assert.match(e.message, /^rollback node e \(127\.0\.110\.250\): no way back to v23\.1\.11: /);
      assert.ok(e.message.includes(`${h.spec.binaryPath}_old is missing`), e.message);
      assert.ok(e.message.includes(`${base}/gone/cockroach-${PREV}.linux-amd64.tgz.sha256sum`), e.message);
      return true;
    });
  });

  it("a downgrade copies _old (and lib_old) when its build tag is the target, and checks the copy", async () => {
    const h = node("f", TARGET, PREV);
    const r = await stageFromOld(h, PREV);
    assert.ok(r.staged, JSON.stringify(r));
    assert.strictEqual(r.staged.binary, path.join(h.spec.stagingDir, `${PREV}.from-old`, "cockroach"));
    assert.strictEqual(await h.ops.buildOf(r.staged.binary), PREV);
    assert.strictEqual(fs.readFileSync(path.join(r.staged.libDir, "libgeos.so"), "utf8"), `geos ${PREV}`);
    assert.deepStrictEqual(await stageFromOld(node("g", TARGET, "v23.1.10"), PREV), { found: "v23.1.10" });
    assert.deepStrictEqual(await stageFromOld(node("h", TARGET), PREV), { found: undefined });
  });
});
