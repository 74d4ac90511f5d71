/**
 * How commands reach a node's host. One interface, two implementations:
 * `local` (child_process on this machine) and `ssh` (ssh2). Nothing above this
 * layer may assume which one it has.
 *
 * Success is judged by exit code, never by stderr. Errors that are not the
 * command's own failure (cannot connect, connection dropped, timed out) are
 * thrown as TransportError so callers can tell "the command said no" from
 * "we could not ask".
 */

export interface ExecOptions {
  /** Kill the command and throw TransportError after this long. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Written to the command's stdin, then closed. */
  readonly stdin?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when killed by a signal. */
  readonly code: number | null;
}

export interface Transport {
  /** For logs and errors, never with secrets: "local" or "ssh root@10.0.0.1:22". */
  readonly description: string;
  /** Runs argv (argv[0] looked up on the host's PATH). Use ["sh", "-c", script] for shell. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Copies a local file to the host (SFTP for ssh), creating no directories. */
  putFile(localPath: string, remotePath: string, mode?: number): Promise<void>;
  close(): Promise<void>;
}

/** Quotes one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(arg)) return arg;
  return "'" + arg.replace(/'/g, "'\\''") + "'";
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
