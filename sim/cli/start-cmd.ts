/**
 * `cockroach start`: runs a node in this process (foreground), or with
 * `--background` re-runs itself detached and returns once the node is ready,
 * printing the banner (CockroachDB does the same with a readiness pipe).
 * The background child's stdout/stderr go to `<log-dir>/cockroach-stderr.log`,
 * never to the caller's pipes, so a caller waiting for EOF returns.
 * The node log is `<log-dir>/cockroach.log`; `--log-dir` defaults to `<store>/logs`.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CliError } from "./errors";
import { FlagSpec, ParsedArgs, flagBool, flagString, flagStrings, parseFlags } from "./flags";
import type { HostPort, NodeConfig, ReleaseFaults } from "../node/config";
import { defaultCertsDir } from "./cert-cmd";

const START_FLAGS: readonly FlagSpec[] = [
  ...[
    "listen-addr",
    "advertise-addr",
    "sql-addr",
    "advertise-sql-addr",
    "http-addr",
    "advertise-http-addr",
    "certs-dir",
    "cluster-name",
    "locality",
    "pid-file",
    "log-dir",
    "cache",
    "max-sql-memory",
    "attrs",
    "listening-url-file",
    "spatial-libs",
    "log",
    "logtostderr",
    "max-offset",
    "external-io-dir",
    "temp-dir",
    "locality-advertise-addr",
    "max-disk-temp-storage",
    "host",
    "port",
    "http-port",
    "advertise-host",
    "advertise-port",
  ].map((name) => ({ name, kind: "string" as const })),
  { name: "join", kind: "strings", short: "j" },
  { name: "store", kind: "strings", short: "s" },
  { name: "insecure", kind: "bool" },
  { name: "background", kind: "bool" },
  { name: "accept-sql-without-tls", kind: "bool" },
  { name: "disable-cluster-name-verification", kind: "bool" },
];

const CHILD_ENV = "CRDB_SIM_BACKGROUND_CHILD";

interface ChildMessage {
  readonly type: "ready" | "error";
  readonly text: string;
}

export async function runStart(tag: string, faults: ReleaseFaults, args: readonly string[]): Promise<number> {
  const p = parseFlags(args, START_FLAGS);
  if (p.positionals.length > 0) throw new CliError(`unknown command "${p.positionals[0]}" for "cockroach start"`);
  const cfg = nodeConfig(tag, faults, p, args);
  if (flagBool(p, "background") && process.env[CHILD_ENV] !== "1") return startInBackground(cfg, args);
  return runForeground(cfg, process.env[CHILD_ENV] === "1");
}

async function runForeground(cfg: NodeConfig, asChild: boolean): Promise<number> {
  // Loaded here, not at the top: the `--background` parent only spawns the server and relays its banner, and
  // loading the node (~40 ms of CPU) there too doubled that cost for every node a roll restarts.
  const [{ NodeRuntime }, { installSignalHandlers }, { startBanner }] = await Promise.all([
    import("../node/runtime"),
    import("../node/signals"),
    import("./banner"),
  ]);
  const rt = new NodeRuntime(asChild ? { ...cfg, foreground: false } : cfg);
  installSignalHandlers(rt);
  let result;
  try {
    result = await rt.start();
  } catch (e) {
    const message = (e as Error).message;
    rt.log.error("1@cli/start.go:1000", `cockroach server exited with error: ${message}`);
    await rt.close().catch(() => undefined);
    if (asChild && process.send) {
      await sendToParent({ type: "error", text: message });
      return 1;
    }
    throw new CliError(message);
  }
  const banner = startBanner(cfg, result);
  if (asChild && process.send) {
    await sendToParent({ type: "ready", text: banner });
    process.disconnect?.();
  } else {
    process.stdout.write(banner);
  }
  return new Promise<number>(() => undefined); // runs until a signal ends the process
}

function sendToParent(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(msg, undefined, undefined, () => resolve()));
}

/** Re-runs this command detached and waits for the child's readiness message. */
function startInBackground(cfg: NodeConfig, args: readonly string[]): Promise<number> {
  fs.mkdirSync(cfg.logDir, { recursive: true });
  const out = fs.openSync(path.join(cfg.logDir, "cockroach-stderr.log"), "a");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], "start", ...args], {
    detached: true,
    stdio: ["ignore", out, out, "ipc"],
    env: { ...process.env, [CHILD_ENV]: "1" },
  });
  fs.closeSync(out);
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on("message", (msg: ChildMessage) => {
      if (settled) return;
      settled = true;
      if (msg.type === "ready") {
        process.stdout.write(msg.text);
        child.disconnect();
        child.unref();
        resolve(0);
      } else {
        reject(new CliError(msg.text));
      }
    });
    child.on("exit", (code, signal) => {
      if (settled) return;
      settled = true;
      reject(
        new CliError(
          `cockroach server exited before it was ready (${signal ?? `exit code ${code}`}); see ${path.join(cfg.logDir, "cockroach.log")}`,
        ),
      );
    });
  });
}

function nodeConfig(tag: string, faults: ReleaseFaults, p: ParsedArgs, args: readonly string[]): NodeConfig {
  const join = flagStrings(p, "join")
    .flatMap((j) => j.split(","))
    .map((j) => j.trim())
    .filter(Boolean);
  if (join.length === 0) {
    throw new CliError(
      "no --join flags provided to 'cockroach start'\nHINT: Consider using 'cockroach init' or 'cockroach start-single-node' instead",
    );
  }
  const listen = hostPort(flagString(p, "listen-addr") ?? flagString(p, "host") ?? "", 26257, "listen-addr");
  const advertise = hostPort(flagString(p, "advertise-addr") ?? "", listen.port, "advertise-addr", listen.host);
  const sql = hostPort(flagString(p, "sql-addr") ?? "", listen.port, "sql-addr", listen.host);
  const http = hostPort(flagString(p, "http-addr") ?? "", 8080, "http-addr", listen.host);
  const storePath = path.resolve(storeDir(flagStrings(p, "store")[0] ?? "cockroach-data"));
  const logDir = path.resolve(flagString(p, "log-dir") ?? path.join(storePath, "logs"));
  const pidFile = flagString(p, "pid-file");
  return {
    binaryTag: tag,
    faults,
    listen,
    advertise,
    sql,
    // CockroachDB splits SQL onto its own listener whenever --sql-addr is given (pkg/cli/flags.go sets SplitListenSQL).
    splitSql: flagString(p, "sql-addr") !== undefined,
    http,
    join,
    storePath,
    locality: flagString(p, "locality") ?? "",
    clusterName: flagString(p, "cluster-name") ?? "",
    insecure: flagBool(p, "insecure"),
    certsDir: path.resolve(flagString(p, "certs-dir") ?? defaultCertsDir()),
    logDir,
    pidFile: pidFile ? path.resolve(pidFile) : undefined,
    args: [process.env.CRDB_SIM_ARGV0 ?? "cockroach", "start", ...args.filter((a) => a !== "--background")],
    foreground: true,
  };
}

/** `--store=/x` or `--store=path=/x,size=...`. */
function storeDir(spec: string): string {
  const m = /(?:^|,)path=([^,]+)/.exec(spec);
  return m ? m[1] : spec;
}

function hostPort(text: string, defaultPort: number, flag: string, defaultHost = "localhost"): HostPort {
  if (text === "") return { host: defaultHost, port: defaultPort };
  const m = /^\[?([^\]]*?)\]?(?::(\d*))?$/.exec(text);
  if (!m) throw new CliError(`invalid argument "${text}" for "--${flag}" flag: invalid address`);
  const host = m[1] === "" ? defaultHost : m[1];
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!(port >= 0 && port < 65536)) throw new CliError(`invalid argument "${text}" for "--${flag}" flag: invalid port`);
  return { host, port };
}
