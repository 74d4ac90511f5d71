/**
 * The node's port 26257, shared by SQL and RPC as in CockroachDB (which
 * multiplexes pgwire and gRPC with cmux). The first byte decides: a pgwire
 * startup packet begins with its length's high byte (0x00); a TLS
 * ClientHello (0x16) on a secure node is RPC inside TLS; anything else is
 * HTTP, which carries this simulator's RPCs (`POST
 * /cockroach.server.serverpb.Admin/Drain`, ...). pgwire's own TLS starts
 * after its SSLRequest (pgwire/connection.ts).
 *
 * With `--sql-addr` CockroachDB splits the two (`pkg/server/start_listen.go`,
 * `startListenRPCAndSQL`: with `SplitListenSQL` pgwire gets its own listener
 * and the RPC port's cmux no longer matches pgwire, so a pgwire client there
 * reaches the gRPC server, which drops it). The SQL listener is plain pgwire:
 * an RPC client there (HTTP/2 preface, or a TLS ClientHello) is not a startup
 * packet, and the connection is closed.
 */
import * as http from "http";
import * as net from "net";
import * as tls from "tls";
import { NodeTls, TLS_HANDSHAKE_BYTE, replayStream, serverTlsOptions } from "./tls";

export interface SqlRpcListener {
  readonly server: net.Server;
  /** Open pgwire client sockets. */
  readonly sqlSockets: Set<net.Socket>;
  close(): Promise<void>;
  /** Drops every SQL client at once, as a crash or the end of a drain does. */
  destroySqlClients(): void;
}

export interface ListenerHandlers {
  onSql(socket: net.Socket): void;
  rpc: http.RequestListener;
  /** A secure node's TLS material: RPC may arrive inside TLS. */
  readonly tls?: NodeTls;
  /** What this port serves: both (the default, one shared port), RPC only (--listen-addr beside --sql-addr) or SQL only (--sql-addr). */
  readonly serves?: "sql+rpc" | "rpc" | "sql";
}

export async function listenSqlRpc(host: string, port: number, handlers: ListenerHandlers): Promise<SqlRpcListener> {
  const serves = handlers.serves ?? "sql+rpc";
  const rpcServer = http.createServer(handlers.rpc);
  rpcServer.keepAliveTimeout = 1000;
  const tlsServer = handlers.tls
    ? tls.createServer(serverTlsOptions(handlers.tls), (secure) => rpcServer.emit("connection", secure))
    : undefined;
  tlsServer?.on("tlsClientError", () => undefined);
  const sqlSockets = new Set<net.Socket>();
  const all = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    all.add(socket);
    socket.on("close", () => {
      all.delete(socket);
      sqlSockets.delete(socket);
    });
    socket.on("error", () => undefined);
    socket.once("readable", () => {
      const first: Buffer | null = socket.read(1);
      if (first === null) return;
      const pgwire = first[0] === 0x00;
      if ((serves === "rpc" && pgwire) || (serves === "sql" && !pgwire)) {
        socket.destroy();
        return;
      }
      if (first[0] === TLS_HANDSHAKE_BYTE && tlsServer) {
        const rest: Buffer | null = socket.read();
        tlsServer.emit("connection", replayStream(socket, rest ? Buffer.concat([first, rest]) : first));
        return;
      }
      socket.unshift(first);
      if (first[0] === 0x00) {
        sqlSockets.add(socket);
        handlers.onSql(socket);
      } else {
        rpcServer.emit("connection", socket);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    sqlSockets,
    destroySqlClients(): void {
      for (const s of sqlSockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of all) s.destroy();
      }),
  };
}
