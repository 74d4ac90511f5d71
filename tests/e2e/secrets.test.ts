/**
 * A SQL password given as a Pulumi secret never appears in plain text: not in
 * `pulumi stack export`, not in preview or up output, not in an error. The
 * cluster is a secure simulated cluster (TLS, root password), so the provider
 * really authenticates with that password on every SQL connection.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiWorkspace } from "../support/pulumi";
import { rootProgram, RootProgram } from "../support/root-program";
import { startSimCluster, SimCluster } from "../support/sim-cluster";
import { fastStrategy, runningBuilds, watch } from "../support/provider-harness";
import type { InvariantMonitor } from "../support/invariant-monitor";

const STACK = "secrets";
const PASSWORD = "pw-Secret-7f3a9c-do-not-print";

describe("e2e: secrets stay secret", function () {
  this.timeout(10 * 60 * 1000);
  let sim: SimCluster;
  let program: RootProgram;
  let ws: PulumiWorkspace;
  let releases: { url: string; close(): Promise<void> };
  let faulty: { url: string; close(): Promise<void> };
  let releaseDir: string;
  let monitor: InvariantMonitor;

  /** The safety invariants, judged from the monitor's samples since the last check. */
  async function assertInvariants(): Promise<void> {
    await monitor.stop();
    assert.deepStrictEqual(monitor.violations({ maxUnavailable: 1 }), []);
    monitor = await watch(sim);
  }

  before(async () => {
    sim = await startSimCluster({
      nodes: 3,
      version: "v23.1.11",
      baseIp: "127.0.51.10",
      timeScale: 0.1,
      secure: true,
      rootPassword: PASSWORD,
    });
    releaseDir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-secret-releases-"));
    const built = sim.buildRelease("v23.1.12");
    for (const f of fs.readdirSync(built.dir)) fs.copyFileSync(path.join(built.dir, f), path.join(releaseDir, f));
    releases = await sim.serveReleases(releaseDir);
    faulty = await sim.serveReleases(sim.buildRelease("v23.1.13", "start-fails").dir);
    program = rootProgram();
    ws = new PulumiWorkspace({ programDir: program.dir, stack: STACK });
    await ws.init();
    const certsDir = sim.certsDir;
    assert.ok(certsDir, "a secure sim cluster has a certs dir");
    program.setConfig(STACK, {
      version: "v23.1.11",
      nodes: sim.providerNodes,
      strategy: fastStrategy(),
      release: { urlTemplate: `${releases.url}/cockroach-{version}.linux-amd64.tgz` },
    });
    // The whole sql object is read with getSecretObject; the password is set as a secret value.
    await ws.setConfig("crdb-upgrade:sql.user", "root", { path: true });
    await ws.setConfig("crdb-upgrade:sql.certsDir", certsDir, { path: true });
    await ws.setConfig("crdb-upgrade:sql.tls.ca", fs.readFileSync(path.join(certsDir, "ca.crt"), "utf8"), { path: true });
    await ws.setConfig("crdb-upgrade:sql.password", PASSWORD, { path: true, secret: true });
    monitor = await watch(sim);
  });

  after(async () => {
    await monitor?.stop();
    await ws?.dispose();
    program?.dispose();
    await releases?.close();
    await faulty?.close();
    if (releaseDir) fs.rmSync(releaseDir, { recursive: true, force: true });
    await sim?.stop();
  });

  it("keeps the password out of the stack config file", () => {
    assert.ok(!program.readConfigFile(STACK).includes(PASSWORD));
  });

  it("adopts and upgrades a secure cluster, authenticating with the secret password", async () => {
    await ws.ok(["up", "--yes", "--skip-preview"]);
    program.setConfig(STACK, { version: "v23.1.12" });
    await ws.ok(["preview", "--diff"]);
    await ws.ok(["up", "--yes", "--skip-preview"]);
    assert.deepStrictEqual(await runningBuilds(sim), { n1: "v23.1.12", n2: "v23.1.12", n3: "v23.1.12" });
    await assertInvariants();
  });

  it("keeps the password out of an error", async () => {
    program.setConfig(STACK, { version: "v23.1.13", release: { urlTemplate: `${faulty.url}/cockroach-{version}.linux-amd64.tgz` } });
    const r = await ws.run(["up", "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0, "the faulty release fails the update");
    assert.match(r.stdout + r.stderr, /node n1/);
    assert.deepStrictEqual(await runningBuilds(sim), { n1: "v23.1.12", n2: "v23.1.12", n3: "v23.1.12" }, "rolled back");
    await assertInvariants();
  });

  it("never shows the password in plain text in the state or in any output", async () => {
    const exported = await ws.exportStack();
    assert.ok(!exported.text.includes(PASSWORD), "stack export has no plaintext password");
    const resource = exported.json.deployment.resources?.find((r) => String(r.type).endsWith("crdb-upgrade:ClusterVersion"));
    const sqlOut = (resource?.outputs as Record<string, unknown>).sql as Record<string, unknown>;
    assert.strictEqual(sqlOut["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270", "sql is stored as a secret");
    const transcript = ws.transcript.join("\n");
    assert.ok(transcript.length > 1000, "the transcript captured the runs");
    assert.ok(!transcript.includes(PASSWORD), "no command printed the password");
  });
});
