/**
 * `npm run demo`: the main job. Starts a 3-node simulated CockroachDB cluster
 * at v23.1.11 on 127.0.0.11-13 with its releases served locally, adopts it
 * with `pulumi up`, sets version v23.1.12, shows `pulumi preview --diff`, runs
 * `pulumi up` (live per-node progress), then prints each node's version and a
 * per-node phase timeline. Short bakes keep it to a few minutes.
 *
 * Re-running is safe: a running demo cluster and stack are reused, and an up
 * to the version the cluster already runs restarts nothing.
 * `npm run demo -- --down` stops everything and removes .demo/.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { renderPhaseTable, renderTimeline } from "../provider/rollout/timeline";
import type { NodeStatus, RolloutRecord } from "../provider/core/types";

const ROOT = path.resolve(__dirname, "..", "..");
const DEMO = path.join(ROOT, ".demo");
const CLUSTER_DIR = path.join(DEMO, "cluster");
const RELEASES_DIR = path.join(DEMO, "releases");
const SERVER_FILE = path.join(DEMO, "release-server.json");
const STACK = "demo";
const FROM = "v23.1.11";
const TO = "v23.1.12";
/** Short bakes so the demo finishes in minutes; production default is 60s per node. */
const DEMO_STRATEGY = {
  waitAfterRejoin: "10s",
  canaryBake: "20s",
  gateSamples: 2,
  gateInterval: "1s",
  gateRecheckAfter: "3s",
  watch: "10s",
};

function say(msg: string): void {
  console.log(`\n\x1b[1m== ${msg}\x1b[0m`);
}

function sim(args: string[], opts: { capture?: boolean } = {}): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "sim", "main.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", opts.capture ? "pipe" : "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`sim ${args.join(" ")} failed with exit code ${r.status}`);
  return r.stdout ?? "";
}

function engineDir(): string {
  say("Pulumi engine (scripts/ensure-pulumi; the first run on a machine builds it from Go modules)");
  const out = execFileSync(path.join(ROOT, "scripts", "ensure-pulumi"), {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

function pulumiEnv(engine: string): NodeJS.ProcessEnv {
  fs.mkdirSync(path.join(DEMO, "state"), { recursive: true });
  fs.mkdirSync(path.join(DEMO, "pulumi-home"), { recursive: true });
  return {
    ...process.env,
    PATH: `${engine}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(DEMO, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(DEMO, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "demo",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/** Stack config lives in .demo/ too, so the demo never writes Pulumi.<stack>.yaml into the repository. */
const CONFIG_FILE = path.join(DEMO, "Pulumi.demo.yaml");
const TAKES_CONFIG_FILE = new Set(["config", "up", "preview", "refresh", "destroy"]);

function pulumi(env: NodeJS.ProcessEnv, args: string[], opts: { capture?: boolean; allowFail?: boolean } = {}): string {
  const extra = TAKES_CONFIG_FILE.has(args[0]) ? ["--config-file", CONFIG_FILE] : [];
  const r = spawnSync(path.join(env.PATH!.split(path.delimiter)[0], "pulumi"), [...args, ...extra, "--non-interactive"], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    stdio: ["ignore", opts.capture ? "pipe" : "inherit", "inherit"],
  });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`pulumi ${args.join(" ")} failed with exit code ${r.status}`);
  return r.stdout ?? "";
}

async function releaseServerUrl(): Promise<string> {
  if (fs.existsSync(SERVER_FILE)) {
    const s = JSON.parse(fs.readFileSync(SERVER_FILE, "utf8")) as { url: string; pid: number };
    if (isAlive(s.pid)) return s.url;
  }
  for (const v of [FROM, TO]) {
    if (!fs.existsSync(path.join(RELEASES_DIR, `cockroach-${v}.linux-amd64.tgz`)))
      sim(["release", v, "--out", RELEASES_DIR], { capture: true });
  }
  const log = fs.openSync(path.join(DEMO, "release-server.log"), "a");
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "dist", "sim", "main.js"), "serve", RELEASES_DIR, "--host", "127.0.0.1", "--port", "0"],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", log],
    },
  );
  const url = await firstJsonUrl(child);
  child.stdout!.destroy();
  child.unref();
  fs.writeFileSync(SERVER_FILE, JSON.stringify({ url, pid: child.pid }));
  return url;
}

/** The server prints one JSON object {"url": ...} on stdout once it listens. */
function firstJsonUrl(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the release server did not start; see .demo/release-server.log")), 15_000);
    child.once("exit", (code) => reject(new Error(`the release server exited with code ${code}; see .demo/release-server.log`)));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        const url = (JSON.parse(out) as { url: string }).url;
        clearTimeout(timer);
        resolve(url);
      } catch {
        // not complete yet
      }
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ensureCluster(): void {
  const file = path.join(CLUSTER_DIR, "cluster.json");
  if (fs.existsSync(file)) {
    const status = sim(["status", "--dir", CLUSTER_DIR], { capture: true });
    const nodes = (JSON.parse(status) as { nodes: Array<{ pid: number | null }> }).nodes;
    if (nodes.every((n) => n.pid !== null && isAlive(n.pid))) {
      say(`Reusing the running demo cluster in ${path.relative(ROOT, CLUSTER_DIR)}`);
      return;
    }
    say("The previous demo cluster is not fully running: stopping it and starting a fresh one");
    sim(["down", "--dir", CLUSTER_DIR]);
    fs.rmSync(CLUSTER_DIR, { recursive: true, force: true });
  }
  say(`Starting a 3-node simulated cluster at ${FROM} on 127.0.0.11-13`);
  const json = sim(["up", "--dir", CLUSTER_DIR, "--nodes", "3", "--version", FROM, "--base-ip", "127.0.0.10"], { capture: true });
  fs.writeFileSync(file, json);
}

function down(): void {
  say("Stopping the demo");
  if (fs.existsSync(CLUSTER_DIR)) sim(["down", "--dir", CLUSTER_DIR]);
  if (fs.existsSync(SERVER_FILE)) {
    const { pid } = JSON.parse(fs.readFileSync(SERVER_FILE, "utf8")) as { pid: number };
    if (isAlive(pid)) process.kill(pid, "SIGTERM");
  }
  fs.rmSync(DEMO, { recursive: true, force: true });
  // `pulumi stack init` keeps the stack's encryption salt next to Pulumi.yaml.
  fs.rmSync(path.join(ROOT, `Pulumi.${STACK}.yaml`), { force: true });
  console.log("stopped the cluster and the release server; removed .demo/");
}

function printResult(env: NodeJS.ProcessEnv): void {
  const outputs = JSON.parse(pulumi(env, ["stack", "output", "--json", "--stack", STACK], { capture: true })) as {
    nodeVersions?: NodeStatus[];
    clusterVersion?: string;
    lastRollout?: RolloutRecord;
  };
  say("Node versions (from the resource's outputs, read back from the cluster)");
  for (const n of outputs.nodeVersions ?? [])
    console.log(`  ${n.name.padEnd(4)} node ${String(n.nodeId ?? "?").padEnd(3)} ${n.version ?? "?"}  ${n.state}`);
  console.log(`  cluster version: ${outputs.clusterVersion ?? "?"}`);
  if (outputs.lastRollout) {
    say("Timeline of the last rollout");
    for (const line of renderTimeline(outputs.lastRollout, { width: 60 })) console.log(`  ${line}`);
    console.log("");
    for (const line of renderPhaseTable(outputs.lastRollout)) console.log(`  ${line}`);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes("--down")) return down();
  fs.mkdirSync(DEMO, { recursive: true });
  const engine = engineDir();
  const env = pulumiEnv(engine);
  const releaseUrl = await releaseServerUrl();
  ensureCluster();

  pulumi(env, ["login", `file://${path.join(DEMO, "state")}`], { capture: true });
  const stacks = pulumi(env, ["stack", "ls", "--json"], { capture: true });
  if (!(JSON.parse(stacks) as Array<{ name: string }>).some((s) => s.name === STACK)) pulumi(env, ["stack", "init", STACK]);
  pulumi(env, ["stack", "select", STACK]);
  pulumi(env, ["config", "set", "--path", "crdb-upgrade:release.urlTemplate", `${releaseUrl}/cockroach-{version}.linux-amd64.tgz`]);
  pulumi(env, ["config", "set", "--path", "crdb-upgrade:sql.insecure", "true"]);
  for (const [k, v] of Object.entries(DEMO_STRATEGY)) pulumi(env, ["config", "set", "--path", `crdb-upgrade:strategy.${k}`, String(v)]);

  const state = pulumi(env, ["stack", "export"], { capture: true });
  const adopted = state.includes("pulumi-nodejs:dynamic/crdb-upgrade:ClusterVersion");
  if (!adopted) {
    say(`pulumi up: adopt the running cluster at ${FROM} (no node is restarted)`);
    pulumi(env, ["config", "set", "crdb-upgrade:version", FROM]);
    pulumi(env, ["up", "--yes", "--skip-preview", "--suppress-outputs"]);
  }

  say(`Set version ${TO}, then pulumi preview --diff (what a pull request would show)`);
  pulumi(env, ["config", "set", "crdb-upgrade:version", TO]);
  pulumi(env, ["preview", "--diff"]);

  say(
    `pulumi up: roll the cluster to ${TO}, one node at a time (demo bakes: ${DEMO_STRATEGY.waitAfterRejoin}, canary ${DEMO_STRATEGY.canaryBake})`,
  );
  pulumi(env, ["up", "--yes", "--skip-preview", "--suppress-outputs"]);

  printResult(env);
  console.log(`\nThe cluster keeps running. Try: npm run sim -- status --dir .demo/cluster   |   stop it: npm run demo -- --down`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`\ndemo failed: ${e.message}`);
    process.exit(1);
  },
);
