/**
 * Debian's HAProxy in front of a (sim) cluster, configured the way
 * `cockroach gen haproxy` writes it (CR pkg/cli/haproxy.go): mode tcp,
 * roundrobin, `option httpchk GET /health?ready=1`, one
 * `server cockroachN <addr>:26257 check port 8080` per node, retries 2,
 * timeout connect 5s, client/server 10m, clitcpka. The generated file sets
 * no inter/fall/rise, so HAProxy's defaults apply: inter 2000 fall 3 rise 2.
 *
 *   const lb = await startHaproxy({ nodes: sim.providerNodes, bind: { host: "127.0.70.1", port: 26257 } });
 *   lb.addr                       // "127.0.70.1:26257"
 *   await lb.serverStates()       // [{ name: "cockroach1", status: "UP" }, ...] from the admin socket
 *   lb.stateChanges()             // HAProxy's own "Server psql/cockroach2 is DOWN ..." lines, timestamped
 *   await lb.stop()               // by pid, then removes the temp dir
 *
 * Two additions to the generated file, neither of which changes routing: an
 * admin socket (to read server states) and logging to stdout (to keep
 * HAProxy's own record of when it took a node out and put it back).
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export const HAPROXY = "/usr/sbin/haproxy";

/** HAProxy's health-check defaults (what the generated config gets). */
export const HAPROXY_CHECK_DEFAULTS = { checkIntervalMs: 2000, fall: 3, rise: 2 } as const;

export interface HaproxyBackend {
  readonly name: string;
  /** host:port of the node's SQL port. */
  readonly sqlAddr: string;
  /** host:port of the node's HTTP port (the health check goes there). */
  readonly httpAddr: string;
}

export interface HaproxyOptions {
  readonly nodes: readonly HaproxyBackend[];
  readonly bind: { readonly host: string; readonly port: number };
  /**
   * Health-check timing. Omitted: the generated config's (HAProxy defaults).
   * A sim at time scale s gets `checkIntervalMs: 2000 * s` so that the
   * check window is the same in sim seconds.
   */
  readonly checkIntervalMs?: number;
  readonly fall?: number;
  readonly rise?: number;
}

export interface ServerState {
  readonly name: string;
  /** "UP", "DOWN", "UP 1/3" (going down), "DOWN 1/2" (coming up), "MAINT"... */
  readonly status: string;
}

export interface StateChange {
  readonly t: number;
  readonly line: string;
}

export interface Haproxy {
  readonly pid: number;
  readonly addr: string;
  readonly config: string;
  readonly check: { readonly checkIntervalMs: number; readonly fall: number; readonly rise: number };
  serverStates(): Promise<ServerState[]>;
  /** Lines HAProxy logged about servers going DOWN or UP, with the time they arrived. */
  stateChanges(): readonly StateChange[];
  /** Resolves once every server is UP (after `rise` good checks). */
  waitAllUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The config `cockroach gen haproxy` would write for these nodes, plus the admin socket and stdout log. */
export function haproxyConfig(opts: HaproxyOptions, adminSocket: string): string {
  const timing = [
    opts.checkIntervalMs !== undefined ? `inter ${Math.round(opts.checkIntervalMs)}` : "",
    opts.fall !== undefined ? `fall ${opts.fall}` : "",
    opts.rise !== undefined ? `rise ${opts.rise}` : "",
  ].filter((s) => s !== "");
  const servers = opts.nodes.map((n, i) => {
    const checkPort = n.httpAddr.slice(n.httpAddr.lastIndexOf(":") + 1);
    return `    server cockroach${i + 1} ${n.sqlAddr} check port ${checkPort}${timing.length ? " " + timing.join(" ") : ""}`;
  });
  return [
    "global",
    "  maxconn 4096",
    `  stats socket ${adminSocket} mode 600 level admin`,
    "  log stdout format raw local0 info",
    "",
    "defaults",
    "    mode                tcp",
    "    log                 global",
    "    retries             2",
    "    timeout connect     5s",
    "    timeout client      10m",
    "    timeout server      10m",
    "    option              clitcpka",
    "",
    "listen psql",
    `    bind ${opts.bind.host}:${opts.bind.port}`,
    "    mode tcp",
    "    balance roundrobin",
    "    option httpchk GET /health?ready=1",
    ...servers,
    "",
  ].join("\n");
}

export async function startHaproxy(opts: HaproxyOptions): Promise<Haproxy> {
  if (!fs.existsSync(HAPROXY)) throw new Error(`${HAPROXY} not found: install Debian's HAProxy (apt-get install -y haproxy)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-"));
  const adminSocket = path.join(dir, "admin.sock");
  const config = haproxyConfig(opts, adminSocket);
  const cfgPath = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(cfgPath, config);
  const check = { ...HAPROXY_CHECK_DEFAULTS, ...definedOnly({ checkIntervalMs: opts.checkIntervalMs, fall: opts.fall, rise: opts.rise }) };

  const child = spawn(HAPROXY, ["-f", cfgPath, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  const changes: StateChange[] = [];
  let output = "";
  // The log (stdout) carries each state change once; stderr repeats it as a [WARNING].
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    for (const line of text.split("\n")) if (/Server \S+ is (DOWN|UP)/.test(line)) changes.push({ t: Date.now(), line: line.trim() });
  });
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const lb: Haproxy = {
    pid: child.pid ?? -1,
    addr: `${opts.bind.host}:${opts.bind.port}`,
    config,
    check,
    serverStates: () => serverStates(adminSocket),
    stateChanges: () => changes,
    waitAllUp: (timeoutMs = 20_000) => waitAllUp(lb, timeoutMs),
    stop: () => stopByPid(child, exited, dir),
  };
  try {
    await waitListening(opts.bind, child, exited, () => output);
  } catch (e) {
    await lb.stop();
    throw e;
  }
  return lb;
}

/** `show stat` on the admin socket: the status column of each server of `psql`. */
async function serverStates(socketPath: string): Promise<ServerState[]> {
  const csv = await adminCommand(socketPath, "show stat");
  const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
  const cols = header.split(",");
  const [px, sv, st] = ["pxname", "svname", "status"].map((c) => cols.indexOf(c));
  return rows
    .map((r) => r.split(","))
    .filter((f) => f[px] === "psql" && f[sv] !== "FRONTEND" && f[sv] !== "BACKEND")
    .map((f) => ({ name: f[sv], status: f[st] }));
}

function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let out = "";
    s.setTimeout(5000, () => s.destroy(new Error(`haproxy admin socket: "${command}" timed out`)));
    s.on("connect", () => s.write(`${command}\n`));
    s.on("data", (d) => (out += d.toString("utf8")));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}

async function waitAllUp(lb: Haproxy, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ServerState[] = [];
  while (Date.now() < deadline) {
    last = await lb.serverStates().catch(() => []);
    if (last.length > 0 && last.every((s) => s.status === "UP")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `haproxy (pid ${lb.pid}): not every server UP within ${timeoutMs}ms: ${last.map((s) => `${s.name}=${s.status}`).join(", ")}`,
  );
}

async function waitListening(
  bind: HaproxyOptions["bind"],
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let gone = false;
  void exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`haproxy (pid ${child.pid}) exited at startup: ${output().trim().split("\n").slice(-5).join(" | ")}`);
    if (await canConnect(bind.host, bind.port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy (pid ${child.pid}) did not listen on ${bind.host}:${bind.port} within 10s: ${output().trim()}`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** SIGTERM (HAProxy's hard stop), SIGKILL after 5s; then the temp dir goes. */
async function stopByPid(child: ChildProcess, exited: Promise<number | null>, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

function definedOnly<T extends Record<string, number | undefined>>(o: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, number>>;
}
