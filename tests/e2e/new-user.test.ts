/**
 * The first hour of a new user, as they would live it: the package packed
 * with `npm pack`, installed into a Pulumi project outside the repository,
 * the README's quick-start program copied verbatim (only the addresses,
 * directories, release mirror and bake are pointed at a simulated cluster),
 * then adopt, `preview --diff` and an upgrade through the real CLI. A monitor
 * samples the cluster throughout; the upgrade's output must fit one screen.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiWorkspace, REPO_ROOT } from "../support/pulumi";
import { serveReleaseMirror, type ReleaseMirror } from "../support/release-mirror";
import { startSimCluster, type SimCluster } from "../support/sim-cluster";
import { runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";

/** The README's quick start: the first ```ts block after "## Quick start". */
export function readmeQuickStart(readme: string): string {
  const section = readme.slice(readme.indexOf("## Quick start"));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error("README.md has no ```ts block under '## Quick start'");
  return m[1];
}

/** The README program pointed at this test's cluster: every substitution must apply, or the README changed shape. */
function pointAtSim(program: string, sim: SimCluster, mirror: ReleaseMirror): string {
  const swaps: Array<[string | RegExp, string]> = [
    [/127\.0\.0\.\$\{10 \+ i\}/g, "127.0.180.${10 + i}"],
    [/127\.0\.0\.1([123]):26257/g, "127.0.180.1$1:26257"],
    [/\/var\/crdb/g, sim.dir],
    ["http://127.0.0.1:8099", mirror.url],
    ['waitAfterRejoin: "60s"', 'waitAfterRejoin: "2s", watch: "2s"'],
    ["{ protect: true }", "{ protect: false }"],
  ];
  let out = program;
  for (const [from, to] of swaps) {
    const next = out.replace(from, to);
    assert.notStrictEqual(next, out, `the README's quick start no longer contains ${from}`);
    out = next;
  }
  return out;
}

describe("e2e: a new user, from the packed tarball and the README alone", function () {
  this.timeout(20 * 60 * 1000);
  let work: string;
  let sim: SimCluster;
  let mirror: ReleaseMirror;
  let ws: PulumiWorkspace;
  let monitor: InvariantMonitor;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-new-user-"));
    const packDir = path.join(work, "pack");
    fs.mkdirSync(packDir);
    const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: REPO_ROOT, encoding: "utf8" })
      .trim()
      .split("\n")
      .pop() as string;
    const project = path.join(work, "project");
    fs.mkdirSync(project);
    const dev = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
      .devDependencies;
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({
        name: "my-crdb",
        private: true,
        dependencies: { "pulumi-crdb-upgrade": `file:${path.join(packDir, tgz)}`, "@pulumi/pulumi": dev["@pulumi/pulumi"] },
        devDependencies: { typescript: dev.typescript, "@types/node": dev["@types/node"] },
      }),
    );
    // The registry's packages are in npm's cache after `npm ci`; the tarball is local.
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: project, stdio: "ignore" });
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: my-crdb\nruntime: nodejs\n");
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "ES2022", module: "nodenext", moduleResolution: "nodenext", skipLibCheck: true },
      }),
    );

    sim = await startSimCluster({ nodes: 3, version: "v23.1.11", baseIp: "127.0.180.10", timeScale: 0.1 });
    mirror = await serveReleaseMirror(sim, ["v23.1.12"]);
    const readme = fs.readFileSync(path.join(project, "node_modules", "pulumi-crdb-upgrade", "README.md"), "utf8");
    fs.writeFileSync(path.join(project, "index.ts"), pointAtSim(readmeQuickStart(readme), sim, mirror));
    // What a user sees by default (another test file loaded in the same run may have asked for verbose lines).
    ws = new PulumiWorkspace({ programDir: project, env: { CRDB_UPGRADE_PROGRESS: "compact" } });
    await ws.init();
    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    await ws?.dispose();
    await mirror?.close();
    await sim?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("ships what the README promises: LICENSE, the examples, no source maps, typed inputs", () => {
    const pkg = path.join(work, "project", "node_modules", "pulumi-crdb-upgrade");
    assert.ok(fs.existsSync(path.join(pkg, "LICENSE")));
    for (const ex of ["local-sim/index.ts", "ssh-hosts/index.ts", "github-actions/README.md"])
      assert.ok(fs.existsSync(path.join(pkg, "examples", ex)), ex);
    const maps = execFileSync("find", [pkg, "-name", "*.map"], { encoding: "utf8" }).trim();
    assert.strictEqual(maps, "", "no source maps pointing at sources the package does not ship");
  });

  it("adopts the running cluster on the first up, restarting nothing", async () => {
    await ws.setConfig("version", "v23.1.11");
    await ws.ok(["up", "--yes"]);
    assert.deepStrictEqual(await runningBuilds(sim), { n1: "v23.1.11", n2: "v23.1.11", n3: "v23.1.11" });
    assert.strictEqual(monitor.firstDisturbance("n1"), undefined);
  });

  it("shows the plan in preview --diff and rolls the cluster on up, on one screen", async () => {
    await ws.setConfig("version", "v23.1.12");
    const preview = await ws.ok(["preview", "--diff"]);
    const shown = preview.stdout + preview.stderr;
    assert.match(shown, /v23\.1\.11 -> v23\.1\.12 \(patch\)/);
    assert.match(shown, /1\. n1 \(canary\)/);
    assert.match(shown, /version\s*: "v23\.1\.11" => "v23\.1\.12"/);

    const up = await ws.ok(["up", "--yes"]);
    assert.deepStrictEqual(await runningBuilds(sim), { n1: "v23.1.12", n2: "v23.1.12", n3: "v23.1.12" });
    // The preview half repeats what `preview --diff` showed above; the update half is what a reviewer reads live.
    // "@ updating...." is the non-interactive spinner (a terminal redraws it in place): not counted.
    const all = (up.stdout + up.stderr).split("\n").filter((l) => l.trim() !== "" && !l.startsWith("@ "));
    const lines = all.slice(all.findIndex((l) => l.startsWith("Updating (")));
    assert.ok(lines.length <= 80, `a 3-node update should fit one screen (<= 80 lines), printed ${lines.length}:\n${lines.join("\n")}`);
    for (const n of ["n1", "n2", "n3"])
      assert.ok(
        lines.some((l) => new RegExp(`${n} upgraded \\(node \\d/3`).test(l)),
        `${n}'s summary line`,
      );
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
  });
});
