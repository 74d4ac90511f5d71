/**
 * Who logs in to the test sshd servers: key pairs made by `ssh-keygen`
 * (optionally passphrase-protected, OpenSSH or PEM format), throwaway unix
 * users with real passwords (`useradd` + `chpasswd`, removed afterwards),
 * "host admin" accounts, and a real `ssh-agent` holding a key. All of it is
 * the genuine OpenSSH tooling; every helper cleans up by path or by pid.
 *
 * Why host-admin accounts (uid 0 aliases with their own home and /bin/sh):
 * the simulated nodes run as root, and the provider must signal them and
 * swap their binaries, so it has to log in with root's powers, as it would on
 * a real host. Logging in as `root` itself would run this machine's
 * /root/.bashrc (bash sources it for every sshd command), whose `pyenv init`
 * is slow and leaves a lock behind when a test kills a session mid-way. An
 * alias gives each simulated host its own account and home, and a plain
 * POSIX shell, like a freshly provisioned server.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { descendantsOf, requireOpenSsh } from "./sshd";

export interface KeyPair {
  /** Private key file contents (what `connection.privateKey` takes). */
  readonly privateKey: string;
  /** authorized_keys line. */
  readonly publicKey: string;
  /** Path of the private key file (for ssh-add). */
  readonly file: string;
  remove(): void;
}

export interface KeyOptions {
  /** Defaults to "ed25519". */
  readonly type?: "ed25519" | "ecdsa" | "rsa";
  readonly passphrase?: string;
  /** "openssh" (default, `-----BEGIN OPENSSH PRIVATE KEY-----`) or "pem" (`-----BEGIN RSA PRIVATE KEY-----` etc.). */
  readonly format?: "openssh" | "pem";
}

export function generateKeyPair(opts: KeyOptions = {}): KeyPair {
  requireOpenSsh();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-key-"));
  const file = path.join(dir, "id");
  const args = ["-q", "-t", opts.type ?? "ed25519", "-N", opts.passphrase ?? "", "-C", "crdb-upgrade-test", "-f", file];
  if (opts.type === "rsa") args.push("-b", "2048");
  if (opts.format === "pem") args.push("-m", "PEM");
  runOk("/usr/bin/ssh-keygen", args);
  return {
    privateKey: fs.readFileSync(file, "utf8"),
    publicKey: fs.readFileSync(file + ".pub", "utf8").trim(),
    file,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TestUser {
  readonly name: string;
  readonly password: string;
  readonly home: string;
  readonly uid: number;
  remove(): void;
}

/** Creates a unix user with a random password and its own home. Needs root. */
export function createTestUser(): TestUser {
  if (process.getuid?.() !== 0) throw new Error("createTestUser needs root (useradd/chpasswd); run the SSH tests as root");
  for (const bin of ["/usr/sbin/useradd", "/usr/sbin/chpasswd", "/usr/sbin/userdel"]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} not found: apt-get install -y passwd`);
  }
  const name = "crdbt" + randomBytes(4).toString("hex");
  const password = "pw-" + randomBytes(12).toString("base64url");
  const home = path.join("/tmp", name);
  runOk("/usr/sbin/useradd", ["-m", "-d", home, "-s", "/bin/sh", name]);
  const set = spawnSync("/usr/sbin/chpasswd", [], { input: `${name}:${password}\n`, encoding: "utf8" });
  if (set.status !== 0) throw new Error(`chpasswd for ${name} failed: ${set.stderr}`);
  const uid = Number(runOk("/usr/bin/id", ["-u", name]).trim());
  return {
    name,
    password,
    home,
    uid,
    remove: () => {
      killProcessesOf(uid);
      spawnSync("/usr/sbin/userdel", ["-r", "-f", name], { encoding: "utf8" });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface HostAdmin {
  readonly name: string;
  readonly home: string;
  remove(): void;
}

/** A uid-0 alias (`useradd -o -u 0`) with its own home and /bin/sh; key login only (sshd refuses passwords for uid 0 here). */
export function createHostAdmin(): HostAdmin {
  if (process.getuid?.() !== 0) throw new Error("createHostAdmin needs root (useradd); run the SSH tests as root");
  removeStaleAccounts();
  const name = "crdbr" + randomBytes(4).toString("hex");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-home-`));
  // "*": no password, yet not locked ("!" would make sshd refuse even key logins with UsePAM no).
  runOk("/usr/sbin/useradd", ["-o", "-u", "0", "-g", "0", "-M", "-p", "*", "-d", home, "-s", "/bin/sh", name]);
  return {
    name,
    home,
    remove: () => {
      // Never kill "its" processes: uid 0 is every root process on the machine.
      // Without -r, userdel only edits passwd/shadow/group.
      spawnSync("/usr/sbin/userdel", ["-f", name], { encoding: "utf8" });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface SshAgent {
  /** Value for `connection.agentSocketPath`. */
  readonly socket: string;
  stop(): Promise<void>;
}

/** Starts `ssh-agent -D` on a socket in a temp dir and adds the (unencrypted) key file to it. */
export async function startSshAgent(keyFile: string): Promise<SshAgent> {
  requireOpenSsh();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-agent-"));
  const socket = path.join(dir, "agent.sock");
  const agent: ChildProcess = spawn("/usr/bin/ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
  const deadline = Date.now() + 5_000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > deadline || agent.exitCode !== null) throw new Error(`ssh-agent did not create ${socket}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const add = spawnSync("/usr/bin/ssh-add", [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: "utf8" });
  if (add.status !== 0) throw new Error(`ssh-add failed: ${add.stderr}`);
  return {
    socket,
    stop: async () => {
      if (agent.exitCode === null) {
        const exited = new Promise((r) => agent.once("exit", r));
        agent.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Accounts of an earlier test process that was killed before its cleanup:
 * ours by name pattern, and dead for sure because their temp home is gone.
 */
function removeStaleAccounts(): void {
  for (const line of fs.readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [name, , , , , home] = line.split(":");
    if (!/^crdb[rt][0-9a-f]{8}$/.test(name ?? "") || !home || fs.existsSync(home)) continue;
    spawnSync("/usr/sbin/userdel", ["-f", name], { encoding: "utf8" });
  }
}

function runOk(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** userdel refuses while the user has processes; end them by pid (found through /proc owners). */
function killProcessesOf(uid: number): void {
  if (uid === 0) throw new Error("refusing to kill the processes of uid 0");
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.statSync(`/proc/${entry}`).uid !== uid) continue;
      for (const pid of [...descendantsOf(Number(entry)), Number(entry)]) process.kill(pid, "SIGKILL");
    } catch {
      // exited while we looked
    }
  }
}
