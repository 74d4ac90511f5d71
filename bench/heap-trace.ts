/**
 * Where the dynamic provider's memory goes, from inside the process the
 * engine starts (the CLI passes its environment to plugins, NODE_OPTIONS too):
 *
 *   NODE_OPTIONS="--require $PWD/dist/bench/heap-trace.js" HEAP_TRACE_DIR=/tmp/ht \
 *     nsrun node dist/bench/engine-roll.js --nodes 30
 *
 * Acts only in `.../cmd/dynamic-provider` (or with HEAP_TRACE_ANY=1, e.g. for
 * memory-probe.ts); every other node process loads it and does nothing. Writes
 * <dir>/<pid>.log, one JSON line per second (HEAP_TRACE_MS sets another period): RssAnon / RssFile / VmHWM (MB),
 * process.memoryUsage(), each V8 space's used and committed size; one line
 * per major GC (kind 4: mark-compact) from a `gc` PerformanceObserver.
 * HEAP_TRACE_PROFILE="<start s>,<length s>" also writes <pid>.heapprofile (Chrome DevTools, Memory, loads it):
 * V8's sampling heap profile of what survived the young generation (the
 * objects that made it to old space: live, or garbage waiting for the next
 * mark-compact); with HEAP_TRACE_ALLOC=1, every allocation (scavenged ones
 * too), i.e. the churn by site. A diagnostic: it costs memory itself; never in a measured run.
 */
import * as fs from "fs";
import * as inspector from "inspector";
import { PerformanceObserver } from "perf_hooks";
import * as v8 from "v8";

const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

function statusMb(): Record<string, number> {
  const s = fs.readFileSync("/proc/self/status", "utf8");
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { anon: mb(kb("RssAnon") * 1024), file: mb(kb("RssFile") * 1024), hwm: mb(kb("VmHWM") * 1024) };
}

function memory(): Record<string, number> {
  const m = process.memoryUsage();
  return {
    ...statusMb(),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
  };
}

function spaces(): Record<string, [used: number, committed: number]> {
  return Object.fromEntries(
    v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ""), [mb(s.space_used_size), mb(s.space_size)]]),
  );
}

function profile(dir: string, spec: string): void {
  const [startS, lengthS] = spec.split(",").map(Number);
  setTimeout(() => {
    const s = new inspector.Session();
    s.connect();
    // Objects a scavenge collected are left out: what remains is what was promoted (or is still live).
    // HEAP_TRACE_ALLOC=1 keeps those too: every allocation, by site (where the churn comes from).
    const all = process.env.HEAP_TRACE_ALLOC === "1";
    const opts = { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: all };
    s.post("HeapProfiler.startSampling", opts, () =>
      setTimeout(
        () =>
          s.post("HeapProfiler.stopSampling", (_e, r) => fs.writeFileSync(`${dir}/${process.pid}.heapprofile`, JSON.stringify(r?.profile))),
        lengthS * 1000,
      ).unref(),
    );
  }, startS * 1000).unref();
}

function start(): void {
  const dir = process.env.HEAP_TRACE_DIR ?? "/tmp/heap-trace";
  fs.mkdirSync(dir, { recursive: true });
  const file = `${dir}/${process.pid}.log`;
  const t0 = Date.now();
  const line = (o: object): void => fs.appendFileSync(file, JSON.stringify({ t: (Date.now() - t0) / 1000, ...o }) + "\n");
  line({ argv: process.argv });
  setInterval(() => line({ mem: memory(), spaces: spaces() }), Number(process.env.HEAP_TRACE_MS ?? 1000)).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === 4) line({ markCompact: Math.round(e.duration), mem: memory() });
    }
  }).observe({ entryTypes: ["gc"] });
  if (process.env.HEAP_TRACE_PROFILE) profile(dir, process.env.HEAP_TRACE_PROFILE);
}

if (/[\\/]cmd[\\/]dynamic-provider[\\/]/.test(process.argv[1] ?? "") || process.env.HEAP_TRACE_ANY === "1") start();
