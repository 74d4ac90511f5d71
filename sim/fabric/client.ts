/**
 * A node process's connection to its cluster's fabric (see server.ts).
 * Calls fail with FabricError; `code` is a SQLSTATE when the fabric meant
 * the error for a SQL client. When the socket closes, pending and later
 * calls fail and `onClose` fires once.
 */
import * as net from "net";
import { FabricMethod, FabricResponse, ParamsOf, ResultOf } from "./protocol";

export class FabricError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "FabricError";
  }
}

export class FabricClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buffer = "";
  private closed = false;
  onClose: () => void = () => undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => this.fail());
  }

  static connect(socketPath: string, timeoutMs = 5000): Promise<FabricClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`cannot reach the cluster fabric at ${socketPath}: timed out`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new FabricClient(socket));
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot reach the cluster fabric at ${socketPath}: ${e.message}`));
      });
    });
  }

  call<M extends FabricMethod>(method: M, params: ParamsOf<M>): Promise<Awaited<ResultOf<M>>> {
    if (this.closed) return Promise.reject(new FabricError("the cluster fabric connection is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify({ id, method, params }) + "\n");
    });
  }

  /** Keeps the process alive only while other work does. */
  unref(): void {
    this.socket.unref();
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let msg: FabricResponse;
      try {
        msg = JSON.parse(line) as FabricResponse;
      } catch {
        continue;
      }
      const p = this.pending.get(msg.id);
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new FabricError(msg.error.message, msg.error.code));
      else p.resolve(msg.result);
    }
  }

  private fail(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new FabricError("the cluster fabric connection closed"));
    this.pending.clear();
    this.onClose();
  }
}
