/**
 * Running one command over an open SSH connection.
 *
 * The command line sent is `echo <marker>$$; exec env K=V... <argv quoted>`:
 * sshd starts each session's shell in a new session (setsid), so `$$` is the
 * process-group id of everything the command starts. The marker line is
 * taken out of stdout (anything a login script printed before it is kept, as
 * `ssh host cmd` would show it) and remembered, so that a timeout or abort can end the
 * whole group (`kill -s KILL -- -<pgid>` on a fresh channel) rather than
 * merely closing the channel, which would leave the remote command running.
 * The SSH "signal" request is sent too, but OpenSSH delivers it to the one
 * process only. This needs a POSIX login shell for the user (sh, bash, dash,
 * zsh). Environment variables go through `env` because sshd drops `setenv`
 * requests unless its AcceptEnv allows them; note that they are visible in
 * the host's process list, so secrets belong on stdin.
 */
import type { Client, ClientChannel } from "ssh2";
import { TransportError } from "../core/errors";
import type { ExecOptions, ExecResult } from "./transport";
import { shellJoin, shellQuote } from "./transport";
import { commandName } from "./ssh-errors";

/** Cap on captured output per stream, so a chatty command cannot exhaust memory. */
const MAX_CAPTURE_BYTES = 4 * 1024 * 1024;
/** Prefix of the line that carries the remote process-group id. */
const PGID_MARKER = "crdb-upgrade-pgid:";

export interface ExecContext {
  readonly description: string;
  /** True once the connection is gone (closed or errored). */
  readonly connectionLost: () => boolean;
}

export function buildRemoteCommand(argv: readonly string[], env?: Readonly<Record<string, string>>): string {
  const assignments = Object.entries(env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name "${k}"`);
    return shellQuote(`${k}=${v}`);
  });
  const envPart = assignments.length > 0 ? `env ${assignments.join(" ")} ` : "";
  return `echo ${PGID_MARKER}$$; exec ${envPart}${shellJoin(argv)}`;
}

export async function execOverSsh(client: Client, argv: readonly string[], opts: ExecOptions, ctx: ExecContext): Promise<ExecResult> {
  const name = commandName(argv);
  if (argv.length === 0) throw new TransportError(ctx.description, "exec: empty command");
  if (opts.signal?.aborted) throw new TransportError(ctx.description, `${name}: aborted before start`);
  let line: string;
  try {
    line = buildRemoteCommand(argv, opts.env);
  } catch (e) {
    throw new TransportError(ctx.description, name, (e as Error).message);
  }
  return new Promise<ExecResult>((resolve, reject) => {
    try {
      client.exec(line, (err, channel) => {
        if (err) return reject(lostOr(ctx, name, `cannot open a session channel for ${name}`, err.message));
        // Synchronously, inside the callback: ssh2 may parse the command's
        // output, exit status and close from the same socket read that
        // confirmed the channel, so listeners attached a tick later would
        // miss the 'exit' event.
        watchChannel({ client, channel, name, opts, ctx, resolve, reject });
      });
    } catch (e) {
      reject(lostOr(ctx, name, `cannot start ${name}`, (e as Error).message));
    }
  });
}

interface Watch {
  readonly client: Client;
  readonly channel: ClientChannel;
  readonly name: string;
  readonly opts: ExecOptions;
  readonly ctx: ExecContext;
  readonly resolve: (r: ExecResult) => void;
  readonly reject: (e: Error) => void;
}

/** After a kill, how long to wait for the channel to close before giving up on it. */
const KILL_GRACE_MS = 5_000;

function watchChannel(w: Watch): void {
  const { channel, name, opts, ctx } = w;
  const out = new Capture(true);
  const err = new Capture(false);
  let exit: { code: number | null } | undefined;
  let failure: TransportError | undefined;
  let settled = false;
  channel.on("data", (d: Buffer) => out.push(d));
  channel.stderr.on("data", (d: Buffer) => err.push(d));
  const noteExit = (code: unknown, signal: unknown): void => {
    if (typeof code === "number") exit = { code };
    else if (typeof signal === "string") exit = { code: null };
  };
  channel.on("exit", noteExit);

  const finish = (outcome: () => void): void => {
    if (settled) return;
    settled = true;
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    outcome();
  };
  const stop = (what: string): void => {
    if (failure || exit) return;
    failure = new TransportError(ctx.description, what);
    killRemote(w.client, channel, out.pid);
    // A dead connection may never deliver the close: do not hang on it.
    setTimeout(() => finish(() => w.reject(failure!)), KILL_GRACE_MS).unref();
  };
  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => stop(`${name}: timed out after ${opts.timeoutMs} ms (remote command killed)`), opts.timeoutMs)
      : undefined;
  const onAbort = (): void => stop(`${name}: aborted (remote command killed)`);
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  // ssh2 repeats the exit status (or signal) as the close event's arguments.
  channel.once("close", (code: unknown, signal: unknown) =>
    finish(() => {
      noteExit(code, signal);
      if (failure) return w.reject(failure);
      if (exit) return w.resolve({ stdout: out.text(), stderr: err.text(), code: exit.code });
      // Closed without an exit status: the connection (or sshd) went away under us.
      w.reject(new TransportError(ctx.description, `connection lost during ${name}`, "the command's outcome is unknown"));
    }),
  );

  if (opts.stdin !== undefined) channel.end(opts.stdin);
  else channel.end();
}

/** Best effort: the command may already be gone, and the connection with it. */
function killRemote(client: Client, channel: ClientChannel, pgid: number | undefined): void {
  try {
    channel.signal("KILL");
  } catch {
    // the server may not support signals
  }
  const closeChannel = (): void => {
    try {
      channel.close();
    } catch {
      // already closed
    }
  };
  if (pgid === undefined) return closeChannel();
  try {
    client.exec(shellJoin(["kill", "-s", "KILL", "--", `-${pgid}`]), (e, killer) => {
      if (e) return closeChannel();
      killer.on("close", closeChannel);
      killer.resume();
      killer.stderr.resume();
      killer.end();
    });
  } catch {
    closeChannel();
  }
}

function lostOr(ctx: ExecContext, name: string, what: string, cause: string): TransportError {
  if (ctx.connectionLost()) return new TransportError(ctx.description, `connection lost during ${name}`, "the command did not start");
  return new TransportError(ctx.description, what, cause);
}

/** Collects a stream up to a cap; for stdout, first takes out the marker line that carries the pgid. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** stdout not yet known to be free of the marker line; undefined once it was found. */
  private head: Buffer | undefined;
  pid: number | undefined;

  constructor(hasPidLine: boolean) {
    if (hasPidLine) this.head = Buffer.alloc(0);
  }

  push(d: Buffer): void {
    if (this.head === undefined) return this.keep(d);
    const joined = Buffer.concat([this.head, d]);
    const at = joined.indexOf(PGID_MARKER);
    const nl = at < 0 ? -1 : joined.indexOf(0x0a, at);
    if (nl < 0) {
      this.head = joined;
      return;
    }
    const pid = Number(
      joined
        .subarray(at + PGID_MARKER.length, nl)
        .toString("latin1")
        .trim(),
    );
    if (Number.isInteger(pid) && pid > 1) this.pid = pid;
    this.head = undefined;
    this.keep(joined.subarray(0, at));
    this.keep(joined.subarray(nl + 1));
  }

  text(): string {
    // A marker never seen (the shell failed early): whatever arrived is output.
    if (this.head !== undefined) {
      const head = this.head;
      this.head = undefined;
      this.keep(head);
    }
    return Buffer.concat(this.chunks).toString("utf8");
  }

  private keep(d: Buffer): void {
    if (this.size >= MAX_CAPTURE_BYTES || d.length === 0) return;
    const room = MAX_CAPTURE_BYTES - this.size;
    const part = d.length > room ? d.subarray(0, room) : d;
    this.chunks.push(part);
    this.size += part.length;
  }
}
