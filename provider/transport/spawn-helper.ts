/**
 * Local commands are spawned by a small helper process, not by the provider.
 * Linux's fork() copies the caller's page tables, and Node's spawn() blocks
 * its event loop until the child has exec'd: from a provider of ~180 MB that
 * is 10-30 ms per command on a loaded host, every HTTP read and timer of the
 * run waiting behind it — and a batch of 10 nodes runs ~90 commands. The
 * helper (spawn-helper-child.ts: Node and this module's runLocal, ~40 MB)
 * forks cheaply, and its blocking holds up only other spawns. Same commands,
 * same results, same errors (local-run.ts runs them in either process).
 *
 * The helper is forked on the first command and kept; it does not keep this
 * process alive while idle, and exits when this process goes. Commands run
 * in this process's environment of the moment: a changed environment is sent
 * along with the next command. If it cannot
 * be started, or its file is missing, commands run here as before.
 */
import { fork, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { TransportError } from "../core/errors";
import { runLocal } from "./local-run";
import type { HelperReply, HelperRequest } from "./spawn-helper-protocol";
import type { ExecOptions, ExecResult } from "./transport";

const CHILD = path.join(__dirname, "spawn-helper-child.js");

interface Pending {
  readonly name: string;
  readonly resolve: (r: ExecResult) => void;
  readonly reject: (e: Error) => void;
}

/** The environment as a plain record (process.env's values are strings; unset keys are absent). */
function envNow(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
}

function sameEnv(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

class SpawnHelper {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The environment the helper was forked with, and last sent: commands run in this process's environment. */
  private sentEnv: Record<string, string>;

  constructor(
    private readonly child: ChildProcess,
    forkEnv: Record<string, string>,
  ) {
    this.sentEnv = forkEnv;
    child.on("message", (m: HelperReply) => this.settle(m));
    child.on("exit", () => this.gone());
    child.on("error", () => this.gone());
    this.idle();
  }

  run(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const id = this.nextId++;
    const req: HelperRequest = {
      t: "run",
      id,
      argv,
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
      ...(opts.stdin !== undefined && { stdin: opts.stdin }),
      ...(opts.env !== undefined && { env: opts.env }),
      ...this.envIfChanged(),
    };
    return new Promise<ExecResult>((resolve, reject) => {
      const onAbort = (): void => this.send({ t: "abort", id });
      const done = (): void => opts.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        name: argv[0],
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.busy();
      this.send(req);
    });
  }

  /** A command runs in the provider's environment of the moment, as when the provider spawned it itself. */
  private envIfChanged(): { baseEnv?: Record<string, string> } {
    const now = envNow();
    if (sameEnv(now, this.sentEnv)) return {};
    this.sentEnv = now;
    return { baseEnv: now };
  }

  get alive(): boolean {
    return this.child.connected;
  }

  private send(m: HelperRequest): void {
    if (this.child.connected) this.child.send(m);
  }

  private settle(m: HelperReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.idle();
    if (m.error) p.reject(new TransportError("local", m.error.what, m.error.cause));
    else p.resolve(m.result);
  }

  /** The helper died: whatever it was running is not known to have run. */
  private gone(): void {
    if (helper === this) helper = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      // Not "cannot run": the command may have started (its process group outlives the helper), so its
      // outcome is unknown and the caller must look at the node, as after a timeout.
      p.reject(new TransportError("local", `${p.name}: outcome unknown`, "the spawn helper process exited while it ran"));
    }
  }

  private busy(): void {
    this.child.ref();
    (this.child as { channel?: { ref(): void } }).channel?.ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child as { channel?: { unref(): void } }).channel?.unref();
  }
}

let helper: SpawnHelper | undefined;
let unavailable = false;

function theHelper(): SpawnHelper | undefined {
  if (helper?.alive) return helper;
  if (unavailable) return undefined;
  if (!fs.existsSync(CHILD)) {
    unavailable = true;
    return undefined;
  }
  try {
    const env = envNow();
    const child = fork(CHILD, [], { stdio: ["ignore", "ignore", "ignore", "ipc"], execArgv: [], env });
    helper = new SpawnHelper(child, env);
    return helper;
  } catch {
    unavailable = true;
    return undefined;
  }
}

/** Runs argv through the helper process, or here when there is none. */
export function spawnLocal(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const h = theHelper();
  return h ? h.run(argv, opts) : runLocal(argv, opts);
}
