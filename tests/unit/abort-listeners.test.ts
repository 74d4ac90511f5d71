/**
 * Abort listeners on the run's long-lived signals: every read and command
 * removes its listener when it ends (real HTTP requests to a local server and
 * real child processes, 30 at once like a 30-node watch sample), the
 * whole-cluster watch's many concurrent reads raise no
 * MaxListenersExceededWarning, and eitherSignal unhooks itself from both
 * signals once one fires.
 */
import * as assert from "assert";
import { getEventListeners, setMaxListeners } from "events";
import * as http from "http";
import type { AddressInfo } from "net";
import type { ClusterNow } from "../../provider/cluster/now";
import { httpGet } from "../../provider/transport/http";
import { LocalTransport } from "../../provider/transport/local";
import { ClusterWatch, eitherSignal } from "../../provider/rollout/watch";

const NODES = 30;
const abortListeners = (s: AbortSignal): number => getEventListeners(s, "abort").length;

describe("abort listeners", () => {
  let server: http.Server;
  let url: string;

  before(async () => {
    server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("an HTTP GET and a local command each remove their listener when they end", async () => {
    const ctl = new AbortController();
    setMaxListeners(0, ctl.signal); // 60 at once here on purpose
    const transport = new LocalTransport();
    const reads = Array.from({ length: NODES }, () => [
      httpGet(url, { timeoutMs: 10_000, signal: ctl.signal }),
      transport.exec(["sh", "-c", "exit 0"], { timeoutMs: 10_000, signal: ctl.signal }),
    ]).flat();
    const peak = abortListeners(ctl.signal);
    await Promise.all(reads);
    // A finished request's stream is torn down on the next ticks.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(peak >= NODES, `the reads listened while running (${peak})`);
    assert.strictEqual(abortListeners(ctl.signal), 0);
  });

  it("the watch's concurrent reads of every node raise no MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on("warning", onWarning);
    let samples = 0;
    let peak = 0;
    const watch = new ClusterWatch({
      intervalMs: 1,
      hostOf: (n) => n,
      read: async (signal): Promise<ClusterNow> => {
        const reads = Array.from({ length: NODES }, () => httpGet(url, { timeoutMs: 10_000, signal }));
        if (signal) peak = Math.max(peak, abortListeners(signal));
        await Promise.all(reads);
        samples++;
        return { at: Date.now(), nodes: [] };
      },
    });
    try {
      watch.start();
      while (samples < 3) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await watch.stop();
      process.off("warning", onWarning);
    }
    assert.ok(peak >= NODES, `the reads listened on the watch's signal (${peak})`);
    assert.deepStrictEqual(
      warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message),
      [],
    );
  });

  it("eitherSignal fires on either, then leaves no listener on the other", () => {
    for (const first of ["a", "b"] as const) {
      const a = new AbortController();
      const b = new AbortController();
      const either = eitherSignal(a.signal, b.signal);
      assert.strictEqual(abortListeners(a.signal) + abortListeners(b.signal), 2);
      (first === "a" ? a : b).abort(`${first} fired`);
      assert.strictEqual(either.reason, `${first} fired`);
      assert.strictEqual(abortListeners(a.signal) + abortListeners(b.signal), 0);
    }
  });
});
