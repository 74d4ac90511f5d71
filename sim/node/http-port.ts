/**
 * The node's HTTP port (8080). Insecure: plain HTTP. Secure: HTTPS with the
 * node certificate, and — as CockroachDB does (CR `pkg/server/server_http.go`)
 * — clear-text HTTP on the same port is still answered: `/health` normally
 * (so load balancers can probe it), every other path with a 307 redirect to
 * the same URL over https.
 */
import * as http from "http";
import * as net from "net";
import * as tls from "tls";
import { listenHttp } from "./http-api";
import { NodeTls, TLS_HANDSHAKE_BYTE, replayStream } from "./tls";

export interface HttpPort {
  close(): Promise<void>;
}

export async function listenHttpPort(app: http.Server, host: string, port: number, nodeTls?: NodeTls): Promise<HttpPort> {
  if (!nodeTls) {
    await listenHttp(app, host, port);
    return {
      close: () =>
        new Promise<void>((resolve) => {
          app.close(() => resolve());
          app.closeAllConnections();
        }),
    };
  }
  const plain = http.createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://node").pathname === "/health") return void app.emit("request", req, res);
    res.writeHead(307, { Location: `https://${req.headers.host ?? `${host}:${port}`}${req.url ?? "/"}`, "Content-Length": 0 });
    res.end();
  });
  plain.keepAliveTimeout = 0; // as the API server (http-api.ts): CockroachDB's plain redirect server has no idle timeout either
  const secure = tls.createServer({ cert: nodeTls.cert, key: nodeTls.key, minVersion: "TLSv1.2" }, (s) => app.emit("connection", s));
  secure.on("tlsClientError", () => undefined);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("readable", () => {
      const first: Buffer | null = socket.read(1);
      if (first === null) return;
      if (first[0] === TLS_HANDSHAKE_BYTE) {
        const rest: Buffer | null = socket.read();
        secure.emit("connection", replayStream(socket, rest ? Buffer.concat([first, rest]) : first));
        return;
      }
      socket.unshift(first);
      plain.emit("connection", socket);
    });
  });
  await listenNet(server, host, port);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function listenNet(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
