/**
 * How the `cockroach` CLI reports failures: `ERROR: <message>` (plus
 * `SQLSTATE: <code>` for SQL errors) on stderr, then `Failed running "<cmd>"`,
 * exit code 1. Usage errors (unknown flag or command) print cobra's `Error: ...`.
 */
import { UsageError } from "./flags";

export class CliError extends Error {
  constructor(
    message: string,
    readonly sqlState?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Writes the error as cockroach does and returns the exit code. */
export function reportError(e: unknown, commandName: string): number {
  const err = e as Error & { code?: unknown };
  if (e instanceof UsageError) {
    process.stderr.write(`Error: ${err.message}\n`);
  } else {
    process.stderr.write(`ERROR: ${err.message}\n`);
    const state =
      e instanceof CliError ? e.sqlState : typeof err.code === "string" && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
    if (state) process.stderr.write(`SQLSTATE: ${state}\n`);
  }
  process.stderr.write(`Failed running "${commandName}"\n`);
  return e instanceof CliError ? e.exitCode : 1;
}

/** The message the CLI prints when the node cannot be reached. */
export function cannotDial(addr: string, cause: string): CliError {
  return new CliError(
    "cannot dial server.\nIs the server running?\n" +
      "If the server is running, check --host client-side and --advertise server-side.\n\n" +
      `dial tcp ${addr}: ${cause}`,
  );
}

export function dialCause(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ECONNREFUSED":
      return "connect: connection refused";
    case "ETIMEDOUT":
      return "i/o timeout";
    case "EHOSTUNREACH":
      return "connect: no route to host";
    default:
      return e.message;
  }
}

/**
 * The CLI's message when the server at --host accepted the TCP connection
 * and then closed it without speaking gRPC (CR `pkg/cli/error.go`,
 * `MaybeDecorateError`, connRefused: "server closed the connection.\nIs
 * this a CockroachDB node?"), e.g. an RPC command pointed at a node's
 * separate SQL port. The cause is grpc-go's text for a peer that hung up
 * before its HTTP/2 preface.
 */
export function rpcServerClosed(): CliError {
  return new CliError(
    "server closed the connection.\nIs this a CockroachDB node?\n" +
      "rpc error: code = Unavailable desc = connection closed before server preface received",
  );
}

/** The peer accepted the connection and hung up before answering. */
export function isHangUp(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException;
  return err.code === "ECONNRESET" || err.code === "EPIPE" || /socket hang up/i.test(err.message ?? "");
}
