/**
 * A PostgreSQL wire-protocol (v3) server that speaks like CockroachDB's.
 *
 *   const server = await startPgServer({
 *     host: "127.0.10.1", port: 26257, buildTag: "v23.1.11",
 *     admit: async (session) => draining ? new SqlError("57P01", "server is not accepting clients") : null,
 *     authenticate: async (user, password) => ...,   // omit for --insecure (trust)
 *     execute: (sql, params, session) => engine.execute(sql, params, session),
 *   });
 *   server.address;               // { host, port } actually bound (port 0 -> ephemeral)
 *   server.destroyConnections();  // drop every client abruptly, as a crash would
 *   await server.close();         // stop listening and end all connections
 *
 * Behaviour:
 * - Without `tls`, SSLRequest and GSSENCRequest are answered 'N'; with it, SSLRequest
 *   upgrades to TLS and clear-text startups get 08P01. CancelRequest is ignored.
 * - After startup: AuthenticationOk, ParameterStatus (server_version 13.0.0,
 *   crdb_version from `buildTag`, ...), BackendKeyData, ReadyForQuery.
 * - `admit` runs right after the startup packet; a returned SqlError is sent
 *   as a FATAL ErrorResponse and the connection closes.
 * - Simple query: `execute` receives the whole string (it may hold several
 *   statements). Throw StatementBatchError to report results of the
 *   statements that ran before the failing one.
 * - Extended query: a portal runs once, at its first Describe or Execute,
 *   with text parameters as strings (NULL as null). After an error, messages
 *   are skipped until Sync. Results are always in text format.
 * - The ReadyForQuery status follows BEGIN/COMMIT/ROLLBACK command tags; an
 *   error inside a transaction makes it 'E' until COMMIT/ROLLBACK.
 * - `session` is one object per connection, so engines may key per-session
 *   state (SET variables) on its identity.
 */
import * as net from "net";
import * as tls from "tls";
import { randomInt } from "crypto";
import { PgConnection } from "./connection";
import { PgSession, QueryResult, SqlError } from "./types";

export * from "./types";

export interface PgServerOptions {
  readonly host: string;
  /** 0 picks a free port; read the bound one from `address`. */
  readonly port: number;
  /** Build tag for the crdb_version ParameterStatus. Defaults to "v23.1.11". */
  readonly buildTag?: string;
  /** Called at startup; return an SqlError to refuse the session (e.g. 57P01 while draining), or null. */
  admit(session: PgSession): Promise<SqlError | null>;
  /** Password check (cleartext password request); a client certificate for the user skips it. Omit to trust every user (insecure). */
  authenticate?(user: string, password: string): Promise<boolean>;
  /** Server TLS options (a secure node): SSLRequest is accepted, clear-text sessions are refused. */
  readonly tls?: tls.TlsOptions;
  /** Runs a query string (several statements allowed in simple-query mode). */
  execute(sql: string, params: readonly unknown[], session: PgSession): Promise<QueryResult[]>;
}

export interface PgServer {
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
  /** Closes all open client connections abruptly, as a crash would. */
  destroyConnections(): void;
  readonly address: { readonly host: string; readonly port: number };
}

export async function startPgServer(opts: PgServerOptions): Promise<PgServer> {
  const connections = new Set<PgConnection>();
  const server = net.createServer((socket) => {
    const conn = new PgConnection(socket, opts, { pid: randomInt(1, 2 ** 31 - 1), secret: randomInt(1, 2 ** 31 - 1) });
    connections.add(conn);
    socket.on("close", () => connections.delete(conn));
  });
  await listen(server, opts.host, opts.port);
  const bound = server.address() as net.AddressInfo;
  return {
    address: { host: opts.host, port: bound.port },
    destroyConnections(): void {
      for (const c of connections) c.destroy();
      connections.clear();
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
        connections.clear();
      });
    },
  };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(new Error(`pgwire: cannot listen on ${host}:${port}: ${e.message}`));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}
