/**
 * One command run on this machine through child_process: the spawn, its
 * output captured (capped), its timeout and abort ending its whole process
 * group. Used by the local transport (local.ts), from its spawn helper
 * process (spawn-helper-child.ts) or, without one, in this process.
 */
import { spawn, type ChildProcessByStdio } from "child_process";
import type { Readable, Writable } from "stream";
import { TransportError } from "../core/errors";
import type { ExecOptions, ExecResult } from "./transport";

/** Cap on captured output per stream, so a chatty command cannot exhaust memory. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
/** After the command exits, how long to wait for output still in the pipes. */
const EXIT_GRACE_MS = 500;

/** Runs argv; rejects only when it could not be run (TransportError: spawn failure, timeout, abort). */
export function runLocal(argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => runChild(argv, opts, resolve, reject));
}

type Settle<T> = (v: T) => void;

function runChild(argv: readonly string[], opts: ExecOptions, resolve: Settle<ExecResult>, reject: Settle<Error>): void {
  const name = argv[0];
  // detached: the command gets its own process group, so a timeout or abort
  // can end the whole group (a `sh -c` and whatever it started) and nothing
  // the command daemonizes is tied to our lifetime.
  // Without input, stdin is /dev/null: the same end-of-file as an empty pipe, minus a pipe per command and
  // the EPIPE (with its source-mapped stack) that ending it raises when the command has already exited.
  // Probes run this for every node at every sample: that garbage was a third of the provider's heap growth.
  const child = spawn(name, argv.slice(1), {
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    detached: true,
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  const out = new Capture();
  const err = new Capture();
  let failure: Error | undefined;
  let settled = false;
  let grace: NodeJS.Timeout | undefined;

  const killGroup = (why: string): void => {
    if (failure) return;
    failure = new TransportError("local", `${name}: ${why}`);
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer =
    opts.timeoutMs !== undefined ? setTimeout(() => killGroup(`timed out after ${opts.timeoutMs}ms`), opts.timeoutMs) : undefined;
  const onAbort = (): void => killGroup("aborted");
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const finish = (fn: () => void): void => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    // Cleared, not left to run out: its closure would keep the child and its streams alive for EXIT_GRACE_MS
    // after every command, long enough for V8 to promote them all to old space (garbage for its next full GC).
    if (grace) clearTimeout(grace);
    opts.signal?.removeEventListener("abort", onAbort);
    fn();
  };

  child.stdout.on("data", (b: Buffer) => out.add(b));
  child.stderr.on("data", (b: Buffer) => err.add(b));
  child.on("error", (e) => finish(() => reject(new TransportError("local", `${name}: cannot run`, e.message))));
  const settle = (code: number | null): void =>
    finish(() => (failure ? reject(failure) : resolve({ stdout: out.text(), stderr: err.text(), code })));
  // "close" comes after all output was read. A daemon the command started may
  // inherit our pipes and hold "close" forever, so after "exit" we wait only
  // briefly for the rest of the output.
  child.on("close", (code) => settle(code));
  child.on("exit", (code) => {
    if (settled) return;
    // setImmediate: one more poll of the pipes after the grace. A provider starved of CPU for longer than the
    // grace (50 nodes on 2 shared cores) ran this timer before reading output already in the pipe: a 50-node
    // staging failed on `sha256sum` "succeeding" with no output.
    grace = setTimeout(
      () =>
        setImmediate(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          settle(code);
        }),
      EXIT_GRACE_MS,
    ).unref();
  });
  if (opts.stdin !== undefined) {
    child.stdin?.on("error", () => undefined); // a command that ignores stdin may close it early
    child.stdin?.end(opts.stdin);
  }
}

class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  add(b: Buffer): void {
    if (this.size >= MAX_CAPTURE_BYTES) return;
    this.chunks.push(b);
    this.size += b.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
