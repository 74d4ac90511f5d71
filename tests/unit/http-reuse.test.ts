/**
 * httpGet's kept connections (provider/transport/http-agents.ts), against a
 * real local HTTP server: reads of one host share a connection; a kept
 * connection the server dropped is retried once on a fresh one (the answer is
 * the server's, as with a connection per read); a server that drops every
 * request still fails the read; a read's own timeout still applies on a kept
 * connection. A body sent in pieces comes out whole (a character split
 * between chunks included), and one over maxBytes stops after the last whole
 * chunk within it.
 */
import * as assert from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import type { Socket } from "net";
import { httpGet } from "../../provider/transport/http";

interface TestServer {
  readonly url: string;
  readonly connections: () => number;
  close(): Promise<void>;
}

/** `onRequest(nth request on its connection, req, res)`. */
async function serve(onRequest: (nth: number, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  let connections = 0;
  const perSocket = new WeakMap<Socket, number>();
  const server = http.createServer((req, res) => {
    const nth = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, nth);
    onRequest(nth, req, res);
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const OPTS = { timeoutMs: 5_000 };

describe("httpGet connection reuse", () => {
  it("reads of one host share one kept connection", async () => {
    const s = await serve((_n, _req, res) => res.end("ok"));
    try {
      for (let i = 0; i < 5; i++) assert.strictEqual((await httpGet(`${s.url}/health`, OPTS)).body, "ok");
      assert.strictEqual(s.connections(), 1);
    } finally {
      await s.close();
    }
  });

  it("a kept connection the server dropped is retried once on a fresh one", async () => {
    // The second request on any connection finds it closed (a restarted node, an idle timeout racing the read).
    const s = await serve((nth, req, res) => (nth > 1 ? req.socket.destroy() : res.end(`answer ${nth}`)));
    try {
      assert.strictEqual((await httpGet(`${s.url}/a`, OPTS)).body, "answer 1");
      const second = await httpGet(`${s.url}/b`, OPTS);
      assert.strictEqual(second.status, 200);
      assert.strictEqual(second.body, "answer 1");
      assert.strictEqual(s.connections(), 2);
    } finally {
      await s.close();
    }
  });

  it("a server that drops every request still fails the read (one retry, no more)", async () => {
    const s = await serve((_n, req) => req.socket.destroy());
    try {
      await assert.rejects(httpGet(`${s.url}/x`, OPTS), /socket hang up|ECONNRESET/);
      assert.strictEqual(s.connections(), 1, "a fresh connection is not retried");
    } finally {
      await s.close();
    }
  });

  it("the read's timeout applies on a kept connection", async () => {
    const s = await serve((nth, _req, res) => {
      if (nth === 1) res.end("ok");
      // later requests on the connection are never answered
    });
    try {
      await httpGet(`${s.url}/a`, OPTS);
      await assert.rejects(httpGet(`${s.url}/b`, { timeoutMs: 200 }), /no answer within 200ms/);
    } finally {
      await s.close();
    }
  });

  it("decodes a body sent in pieces, a character split between them included, and stops at maxBytes", async () => {
    const text = "raft é ∑ 😀 end";
    const bytes = Buffer.from(text, "utf8");
    const cut = bytes.indexOf(Buffer.from("😀", "utf8")) + 2; // inside the 4-byte character
    const s = await serve((_n, _req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 20); // a second chunk on the wire
    });
    try {
      assert.strictEqual((await httpGet(`${s.url}/whole`, OPTS)).body, text);
      const capped = await httpGet(`${s.url}/capped`, { ...OPTS, maxBytes: cut + 1 });
      assert.strictEqual(capped.body, bytes.subarray(0, cut).toString("utf8"));
    } finally {
      await s.close();
    }
  });
});
