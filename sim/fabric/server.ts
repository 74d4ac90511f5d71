/**
 * Serves a FabricService on a Unix socket, one JSON message per line. A
 * connection that joined as node N marks node N's process as gone when it
 * closes (the process exited or was killed); its liveness then expires on
 * its own, as CockroachDB's does.
 */
import * as fs from "fs";
import * as net from "net";
import { FabricRequest, FabricResponse, JoinResponse } from "./protocol";
import { FabricService } from "./service";

export interface FabricServer {
  close(): Promise<void>;
}

export async function serveFabric(service: FabricService, socketPath: string): Promise<FabricServer> {
  try {
    fs.unlinkSync(socketPath);
  } catch {
    // No stale socket.
  }
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let nodeId: number | undefined;
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() === "") continue;
        void handle(service, line).then(({ response, joined }) => {
          if (joined !== undefined) nodeId = joined;
          if (!socket.destroyed) socket.write(JSON.stringify(response) + "\n");
        });
      }
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      if (nodeId !== undefined) service.leave({ nodeId });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(service: FabricService, line: string): Promise<{ response: FabricResponse; joined?: number }> {
  let req: FabricRequest;
  try {
    req = JSON.parse(line) as FabricRequest;
  } catch {
    return { response: { id: -1, error: { message: "malformed fabric request" } } };
  }
  try {
    const method = service[req.method] as ((p: unknown) => unknown) | undefined;
    if (typeof method !== "function") throw new Error(`unknown fabric method ${String(req.method)}`);
    const result = await method.call(service, req.params ?? {});
    const joined = req.method === "join" ? (result as JoinResponse).nodeId : undefined;
    return { response: { id: req.id, result: result ?? null }, joined };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    const code = typeof err.code === "string" ? err.code : undefined;
    return { response: { id: req.id, error: { message: err.message, code } } };
  }
}
