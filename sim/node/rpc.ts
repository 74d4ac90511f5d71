/**
 * The RPCs `cockroach node drain` and `debug zip` send to port 26257 (the
 * simulator carries them as JSON over HTTP/1.1 where CockroachDB uses gRPC).
 * Requests for another node are forwarded to it, as CockroachDB's gateway
 * forwards Drain.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import type { NodeRuntime } from "./runtime";
import { nodeStatusJson } from "./status-json";
import { clientTlsOptions } from "./tls";

export const RPC = {
  drain: "/cockroach.server.serverpb.Admin/Drain",
  settings: "/cockroach.server.serverpb.Admin/Settings",
  node: "/cockroach.server.serverpb.Status/Node",
  logFile: "/cockroach.server.serverpb.Status/LogFile",
  ranges: "/cockroach.server.serverpb.Status/Ranges",
} as const;

export interface DrainRequest {
  readonly doDrain: boolean;
  readonly shutdown: boolean;
  /** "local", "" or a node ID. */
  readonly nodeId: string;
}

export interface DrainResponse {
  readonly isDraining: boolean;
  readonly drainRemainingIndicator: number;
}

export interface RpcError {
  readonly error: string;
  /** gRPC status code. */
  readonly code: number;
}

/** Client TLS for RPCs to a secure node: its CA, and a certificate it accepts (client.root or node). */
export interface RpcTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A secure node takes RPCs only inside TLS, from a client certificate its CA signed (as gRPC with mTLS does). */
function rpcRefusal(rt: NodeRuntime, req: http.IncomingMessage): RpcError | undefined {
  if (!rt.tls) return undefined;
  const socket = req.socket;
  if (!(socket instanceof tls.TLSSocket)) return { error: "node is running secure mode, SSL connection required", code: 14 };
  if (!socket.authorized) return { error: "no valid client certificate in request", code: 16 };
  return undefined;
}

export function handleRpc(rt: NodeRuntime, req: http.IncomingMessage, res: http.ServerResponse): void {
  const refusal = rpcRefusal(rt, req);
  if (refusal) {
    req.resume();
    return reply(res, refusal.code === 16 ? 401 : 400, refusal);
  }
  readBody(req)
    .then(async (body) => {
      switch (req.url) {
        case RPC.drain:
          return drain(rt, body as DrainRequest, res);
        case RPC.settings:
          return reply(res, 200, await settings(rt, (body as { keys?: string[] }).keys ?? []));
        case RPC.node:
          return reply(res, 200, await localStatus(rt));
        case RPC.logFile:
          return reply(res, 200, { text: readLog(rt) });
        case RPC.ranges:
          // The leg of a /_status/raft fan-out (raft-debug.ts): this node's own replicas.
          return reply(res, 200, await rt.localRanges((body as { rangeIds?: number[] }).rangeIds));
        default:
          return reply(res, 404, { error: `unknown method ${req.url}`, code: 12 });
      }
    })
    .catch((e: Error) => reply(res, 500, { error: e.message, code: 2 }));
}

async function drain(rt: NodeRuntime, body: DrainRequest, res: http.ServerResponse): Promise<void> {
  const target = String(body.nodeId ?? "local");
  if (target !== "local" && target !== "" && Number(target) !== rt.nodeId) return forwardDrain(rt, target, body, res);
  if (!rt.started) return reply(res, 503, { error: "node cannot be drained before it has been initialized", code: 14 });
  if (body.doDrain) {
    const remaining = await rt.drainStep(body.shutdown);
    const response: DrainResponse = { isDraining: true, drainRemainingIndicator: remaining };
    reply(res, 200, response);
    if (body.shutdown && remaining === 0) void rt.exitAfterDrain();
    return;
  }
  reply(res, 200, { isDraining: true, drainRemainingIndicator: 0 });
  if (body.shutdown) void rt.exitAfterDrain();
}

async function forwardDrain(rt: NodeRuntime, target: string, body: DrainRequest, res: http.ServerResponse): Promise<void> {
  const nodes = await rt.mustFabric().call("nodes", {});
  const node = nodes.find((n) => String(n.nodeId) === target);
  if (!node) return reply(res, 404, { error: `node ${target} does not exist`, code: 5 });
  const [host, port] = splitHostPort(node.addr);
  const result = await postJson(host, port, RPC.drain, { ...body, nodeId: "local" }, 0, rt.tls && clientTlsOptions(rt.tls));
  reply(res, result.status, result.body);
}

async function settings(rt: NodeRuntime, keys: readonly string[]): Promise<unknown> {
  const keyValues: Record<string, { value: string; type: string }> = {};
  for (const key of keys) {
    try {
      const s = await rt.mustFabric().call("showSetting", { name: key, gatewayTag: rt.cfg.binaryTag });
      keyValues[key] = { value: s.value, type: s.type };
    } catch {
      // Unknown to this version: left out, as CockroachDB does.
    }
  }
  return { keyValues };
}

async function localStatus(rt: NodeRuntime): Promise<unknown> {
  const self = (await rt.mustFabric().call("nodes", {})).find((n) => n.nodeId === rt.nodeId);
  return self ? nodeStatusJson(self) : { desc: { nodeId: rt.nodeId ?? 0, buildTag: rt.cfg.binaryTag } };
}

function readLog(rt: NodeRuntime): string {
  try {
    return fs.readFileSync(rt.log.file ?? "", "utf8");
  } catch {
    return "";
  }
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      try {
        resolve(text === "" ? {} : JSON.parse(text));
      } catch {
        reject(new Error("malformed request body"));
      }
    });
    req.on("error", reject);
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  return i < 0 ? [addr, 26257] : [addr.slice(0, i), Number(addr.slice(i + 1))];
}

/** POSTs JSON to a node's RPC port (inside TLS with `tlsOpts`); used by the CLI and for forwarding. */
export function postJson(
  host: string,
  port: number,
  pathName: string,
  body: unknown,
  timeoutMs = 0,
  tlsOpts?: RpcTls,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const request = tlsOpts ? https.request : http.request;
    const req = request(
      {
        host,
        port,
        path: pathName,
        method: "POST",
        agent: false,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) },
        ...(tlsOpts && { ca: tlsOpts.ca, cert: tlsOpts.cert, key: tlsOpts.key }),
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text === "" ? {} : JSON.parse(text) });
          } catch {
            reject(new Error(`malformed response from ${host}:${port}`));
          }
        });
      },
    );
    if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(data);
  });
}
