/**
 * Real OpenSSH servers for tests: one `sshd -D -e -f <config>` per simulated
 * host, each on its own loopback address, with its own host keys (made by
 * `ssh-keygen` in a temp dir), authorized_keys, pid file and log.
 *
 * Nothing here is a mock: the provider's ssh2 client talks to Debian's
 * /usr/sbin/sshd exactly as it would to a production host. The server runs as
 * root (we are root in CI); which accounts may log in is decided per test by
 * the keys it authorizes and the users it creates (see ssh-identities.ts).
 *
 * `kill()` simulates a host whose SSH daemon dies: the listener and every
 * per-connection sshd are SIGKILLed, so open sessions drop; `restart()`
 * brings the same server (same keys, address, port) back.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { descendantsOf } from "./processes";

export { descendantsOf };

const SSHD = "/usr/sbin/sshd";
const START_TIMEOUT_MS = 10_000;

export interface SshdOptions {
  /** Loopback address to listen on, e.g. "127.0.40.1". */
  readonly host: string;
  /** Defaults to 22: each host has its own address, so the real port fits. */
  readonly port?: number;
  /** Public key lines (authorized_keys form) allowed to log in, as any user. */
  readonly authorizedKeys: readonly string[];
  /** Allow password authentication (for users created with a password). Defaults to false. */
  readonly passwordAuth?: boolean;
  /** Environment for every session (sshd's SetEnv), e.g. a PATH with host-specific tools first. */
  readonly sessionEnv?: Readonly<Record<string, string>>;
}

export interface SshdServer {
  readonly host: string;
  readonly port: number;
  /** The ed25519 host key, authorized_keys form: what `connection.hostKey` pins. */
  readonly hostKey: string;
  /** Every host key the server has (ed25519 and ecdsa), authorized_keys form. */
  readonly hostKeys: readonly string[];
  /** SHA256 fingerprint of `hostKey`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** Temp dir holding config, keys, pid file and `sshd.log`. */
  readonly dir: string;
  pid(): number | undefined;
  /** What sshd wrote to stderr so far (auth failures, disconnects). */
  log(): string;
  /** SIGKILLs the listener and all per-connection sshd processes (sessions drop). */
  kill(): Promise<void>;
  /** Starts the same server again after kill(). */
  restart(): Promise<void>;
  /** Ends everything by pid and removes the temp dir. */
  stop(): Promise<void>;
}

/** Fails loudly, saying what to install, when OpenSSH's server is missing. */
export function requireOpenSsh(): void {
  for (const bin of [SSHD, "/usr/bin/ssh-keygen"]) {
    if (!fs.existsSync(bin)) {
      throw new Error(`${bin} not found: these tests need real OpenSSH. Install it with: apt-get install -y openssh-server openssh-client`);
    }
  }
}

export async function startSshd(opts: SshdOptions): Promise<SshdServer> {
  requireOpenSsh();
  // sshd refuses to start without its privilege-separation directory.
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = opts.port ?? 22;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sshd-${opts.host}-`));
  // Readable by the unprivileged test users: sshd reads authorized_keys as the user.
  fs.chmodSync(dir, 0o755);
  const hostKeys = ["ed25519", "ecdsa"].map((type) => makeHostKey(dir, type));
  fs.writeFileSync(path.join(dir, "authorized_keys"), opts.authorizedKeys.join("\n") + "\n", { mode: 0o644 });
  const config = path.join(dir, "sshd_config");
  fs.writeFileSync(
    config,
    renderConfig({ dir, host: opts.host, port, passwordAuth: opts.passwordAuth ?? false, sessionEnv: opts.sessionEnv ?? {} }),
  );

  let child: ChildProcess | undefined;
  const logFile = path.join(dir, "sshd.log");
  const launch = async (): Promise<void> => {
    child = await launchSshd(config, logFile, opts.host, port);
  };
  await launch();

  const killTree = async (signal: NodeJS.Signals): Promise<void> => {
    const root = child?.pid;
    if (root === undefined) return;
    // Parents first: a per-connection sshd that outlived its session's command by a moment would
    // report the command's exit (a clean "killed by signal") instead of dropping the connection.
    const tree = descendantsOf(root).reverse();
    for (const pid of [root, ...tree]) signalPid(pid, signal);
    await waitForExit(child!, 5_000);
    child = undefined;
  };
  return {
    host: opts.host,
    port,
    hostKey: hostKeys[0],
    hostKeys,
    fingerprint: fingerprintFromKeygen(path.join(dir, "ssh_host_ed25519_key.pub")),
    dir,
    pid: () => child?.pid,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : ""),
    kill: () => killTree("SIGKILL"),
    restart: async () => {
      if (child) throw new Error(`sshd ${opts.host}:${port} is still running; kill() it first`);
      await launch();
    },
    stop: async () => {
      await killTree("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function renderConfig(c: {
  dir: string;
  host: string;
  port: number;
  passwordAuth: boolean;
  sessionEnv: Readonly<Record<string, string>>;
}): string {
  return [
    `ListenAddress ${c.host}:${c.port}`,
    `HostKey ${c.dir}/ssh_host_ed25519_key`,
    `HostKey ${c.dir}/ssh_host_ecdsa_key`,
    `PidFile ${c.dir}/sshd.pid`,
    `AuthorizedKeysFile ${c.dir}/authorized_keys`,
    "StrictModes no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    "PubkeyAuthentication yes",
    `PasswordAuthentication ${c.passwordAuth ? "yes" : "no"}`,
    "KbdInteractiveAuthentication no",
    "Subsystem sftp internal-sftp",
    // Tests open many sessions at once; the defaults (10/10:30:100) would refuse some.
    "MaxSessions 32",
    "MaxStartups 64",
    "LogLevel VERBOSE",
    ...Object.entries(c.sessionEnv).map(([k, v]) => `SetEnv ${k}="${v}"`),
    "",
  ].join("\n");
}

function makeHostKey(dir: string, type: string): string {
  const file = path.join(dir, `ssh_host_${type}_key`);
  run("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `test-host-${type}`, "-f", file]);
  return fs.readFileSync(file + ".pub", "utf8").trim();
}

function fingerprintFromKeygen(pubFile: string): string {
  // "256 SHA256:abc... comment (ED25519)"
  return run("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", pubFile]).split(/\s+/)[1];
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function launchSshd(config: string, logFile: string, host: string, port: number): Promise<ChildProcess> {
  const log = fs.openSync(logFile, "a");
  const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `sshd on ${host}:${port} exited at start (${child.exitCode ?? child.signalCode}): ${fs.readFileSync(logFile, "utf8").trim()}`,
      );
    }
    if (await accepts(host, port)) return child;
    await sleep(50);
  }
  signalPid(child.pid!, "SIGKILL");
  throw new Error(`sshd on ${host}:${port} did not listen within ${START_TIMEOUT_MS} ms: ${fs.readFileSync(logFile, "utf8").trim()}`);
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timer = sleep(timeoutMs).then(() => signalPid(child.pid!, "SIGKILL"));
  await Promise.race([exited, timer]);
  await exited;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
