/**
 * `npm run bench`: every benchmark, one table, medians over repeated runs.
 * Writes the same table with its method notes to bench/RESULTS.md.
 *
 *   node dist/bench/run.js [--runs 3] [--time-scale 0.2]
 *
 * (a) rollout overhead ratio and (c) peak RSS come from
 *     bench/provider-rollout.ts (benchProviderRollout); (b) from
 *     bench/check-diff.ts; (d) and (f) from bench/load.ts; (e) from bench/zone-batching.ts.
 * Benchmarks never assert: a failed run is printed as failed.
 */
import * as fs from "fs";
import * as path from "path";
import type { Phase, RolloutRecord } from "../provider/core/types";
import { benchCheckDiff } from "./check-diff";
import { benchLoad, METHODS, type LoadBench, type LoadRun, type Method } from "./load";
import { benchProviderRollout, type RolloutBench } from "./provider-rollout";
import { benchZoneBatching, type ZoneBatchingBench } from "./zone-batching";

const RESULTS = path.resolve(__dirname, "..", "..", "bench", "RESULTS.md");
/** The same phases bench/provider-rollout.ts counts as unavoidable. */
const UNAVOIDABLE: readonly Phase[] = ["drain", "stop", "start", "await-node", "await-cluster", "bake"];
const LABEL: Readonly<Record<Method, string>> = {
  provider: "provider (initial_wait 8s, as its pre-flight asks)",
  naive: "naive, v1.0 docs (initial_wait 0s default)",
  "naive+8s": "naive + initial_wait 8s (sim caveat below)",
};

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | Error> {
  const t0 = Date.now();
  try {
    const r = await fn();
    console.error(`bench: ${what} done in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
    return r;
  } catch (e) {
    console.error(`bench: ${what} FAILED: ${(e as Error).message}`);
    return e as Error;
  }
}

function unavoidableMs(record: RolloutRecord): number {
  return record.nodes
    .flatMap((n) => n.phases)
    .filter((p) => UNAVOIDABLE.includes(p.phase))
    .reduce((a, p) => a + p.durationMs, 0);
}

function wallOf(record: RolloutRecord): number {
  return Date.parse(record.finishedAt) - Date.parse(record.startedAt);
}

type Row = readonly [metric: string, value: string, runs: string];

function rolloutRows(rollouts: readonly (RolloutBench | Error)[], load: LoadBench | Error): { readonly a: Row[]; readonly c: Row[] } {
  const ok = rollouts.filter((r): r is RolloutBench => !(r instanceof Error));
  const failed = rollouts.length - ok.length;
  const fails = failed ? `, ${failed} failed` : "";
  const a: Row[] = [
    ok.length
      ? [
          "(a) rollout overhead ratio, 5 nodes (wall ÷ Σ drain+restart+catch-up+bake)",
          `${median(ok.map((r) => r.ratio)).toFixed(3)} (${(median(ok.map((r) => r.wallMs)) / 1000).toFixed(1)} s ÷ ${(median(ok.map((r) => r.unavoidableMs)) / 1000).toFixed(1)} s)`,
          `${ok.length}${fails}`,
        ]
      : ["(a) rollout overhead ratio, 5 nodes", `failed: ${(rollouts[0] as Error).message.slice(0, 120)}`, "0"],
  ];
  if (!(load instanceof Error)) {
    const recs = load.runs.filter((r) => r.method === "provider" && r.ok && r.record).map((r) => r.record as RolloutRecord);
    if (recs.length)
      a.push([
        "(a) same, under load, provider defaults at sim scale",
        `${median(recs.map((r) => wallOf(r) / unavoidableMs(r))).toFixed(3)}`,
        String(recs.length),
      ]);
  }
  const c: Row[] = [
    ok.length
      ? ["(c) provider peak RSS rolling 5 nodes", `${median(ok.map((r) => r.peakRssMb)).toFixed(1)} MB`, `${ok.length}${fails}`]
      : ["(c) provider peak RSS rolling 5 nodes", "failed (see a)", "0"],
  ];
  if (!(load instanceof Error)) {
    const rss = load.runs.filter((r) => r.peakRssKb).map((r) => (r.peakRssKb as number) / 1024);
    if (rss.length) c.push(["(c) same, under load (child VmHWM)", `${median(rss).toFixed(1)} MB`, String(rss.length)]);
  }
  return { a, c };
}

function loadRows(load: LoadBench | Error): Row[] {
  if (load instanceof Error) return [["(d)/(f) load bench", `failed: ${load.message.slice(0, 160)}`, "0"]];
  const rows: Row[] = [];
  const g = load.gate;
  if (g && !g.error) {
    const realTime = (g.httpRequests + g.sqlSelects) / (g.gateSeconds / load.timeScale);
    rows.push([
      "(d) gate query rate (SQL+HTTP per second of gates)",
      `${g.perWallSecond.toFixed(1)}/s at sim scale ${load.timeScale} (${g.httpRequests} HTTP + ${g.sqlSelects} SQL in ${g.gateSeconds.toFixed(0)} s); ≈ ${realTime.toFixed(1)}/s at real timing`,
      "1",
    ]);
  } else rows.push(["(d) gate query rate", `failed: ${g?.error ?? "not run"}`, "0"]);
  for (const m of METHODS) {
    const runs = load.runs.filter((r) => r.method === m);
    const ok = runs.filter((r) => r.ok);
    const f = (sel: (r: LoadRun) => number): number => median(runs.map(sel));
    const failNote = ok.length < runs.length ? `, ${runs.length - ok.length} roll(s) failed` : "";
    rows.push([
      `(f) ${LABEL[m]}`,
      `failed ops ${f((r) => r.failures)} · missing acked ${f((r) => r.missing)} · retried ${f((r) => r.retried)} · p99 idle ${f((r) => r.p99IdleMs)} ms · p99 roll ${f((r) => r.p99RollMs)} ms · wall ${(f((r) => r.wallMs) / 1000).toFixed(1)} s`,
      `${runs.length}${failNote}`,
    ]);
  }
  const recs = runs0(load)
    .filter((r) => r.record)
    .map((r) => r.record as RolloutRecord);
  if (recs.length) rows.push(["(f) provider time per node, by phase", phaseBreakdown(recs), String(recs.length)]);
  const ratios = [];
  for (let i = 0; i + METHODS.length <= load.runs.length; i += METHODS.length) {
    const [p, n] = [load.runs[i], load.runs[i + 1]];
    if (p.method === "provider" && n.method === "naive") ratios.push(p.wallMs / n.wallMs);
  }
  if (ratios.length) rows.push(["(f) provider wall ÷ naive wall (same round)", `${median(ratios).toFixed(2)}`, String(ratios.length)]);
  return rows;
}

function runs0(load: LoadBench): LoadRun[] {
  return load.runs.filter((r) => r.method === "provider" && r.ok);
}

/** Median seconds per node of each phase, over nodes and runs: where the provider's wall time goes. */
function phaseBreakdown(records: readonly RolloutRecord[]): string {
  const phases: readonly Phase[] = ["drain", "stop", "swap-binary", "start", "await-node", "await-cluster", "bake"];
  const per = phases.map((ph) => {
    const ms = records.flatMap((r) => r.nodes.map((n) => n.phases.filter((p) => p.phase === ph).reduce((a, p) => a + p.durationMs, 0)));
    return `${ph} ${(median(ms) / 1000).toFixed(1)} s`;
  });
  return per.join(" · ");
}

function zoneRow(z: ZoneBatchingBench | Error): Row {
  if (z instanceof Error) return ["(e) zone-at-a-time ratio", `failed: ${z.message.slice(0, 160)}`, "0"];
  const s = (ms: readonly number[]): string => ms.map((x) => (x / 1000).toFixed(1)).join("/");
  return [
    "(e) zone-at-a-time ratio, 9 nodes in 3 zones (locality wall ÷ one-at-a-time wall)",
    `${z.ratio.toFixed(3)} (${s(z.localityWallMs)} s ÷ ${s(z.nodeWallMs)} s); unavailable ranges max ${z.maxUnavailableRanges} in ${z.rangeSamples} samples; ≤ ${z.maxDownAtOnce} down at once`,
    String(z.localityWallMs.length),
  ];
}

function table(rows: readonly Row[]): string {
  const head: Row = ["Metric", "Value (median)", "Runs"];
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  return [head, ["---", "---", "---"] as Row, ...rows].map((r) => `| ${r.map(esc).join(" | ")} |`).join("\n");
}

function methodNotes(load: LoadBench | Error, runs: number): string {
  const scale = load instanceof Error ? NaN : load.timeScale;
  return `Method (generated by \`npm run bench\`, ${new Date().toISOString().slice(0, 10)}; 2 shared cores, so absolute times are noisy; ratios are taken within one run):

- (a)/(c): \`benchProviderRollout()\` (bench/provider-rollout.ts): a 5-node sim at time scale 0.1, the update in a child process; ratio = update wall time ÷ Σ per node of drain + stop + start + await-node + await-cluster + bake (record phases); peak RSS = the child's maxRSS. "Under load": the same ratio from the rollout records of the provider load runs (provider defaults at sim scale), and the child's VmHWM, sampled from /proc/<pid>/status every 200 ms and read by the child at exit.
- (b): \`benchCheckDiff()\` (bench/check-diff.ts): checkInputs+parseSpec and diffResource+planRollout on a 100-node spec, median of 200 after warm-up.
- (d): a provider roll with no client workload. HTTP requests are counted inside the provider's process through Node's built-in \`http.client.request.start\` diagnostics channel (nothing wrapped); SQL statements through the simulator's own \`sql_select_count\` per node (the provider is the only SQL client), sampled every 250 ms. Both are attributed to the gate phases of the rollout record (await-node, await-cluster, bake). The sim runs at scale ${scale}, so gate intervals are ${scale}× real; "real timing" divides by the unscaled gate time (await-node polls every 250 ms unscaled, so this slightly overstates real timing).
- (e): \`benchZoneBatching()\` (bench/zone-batching.ts): one 9-node sim in 3 zones at time scale 0.1; an update one node at a time and one with \`strategy.batch: "locality"\` (maxUnavailable 3: 3 batches of 3, each proven from replica placement before it stops), same bakes (3 s) and gates, same cluster, same run; every running node's ranges_unavailable sampled every 250 ms throughout. Target ≤ 0.45 with 0 unavailable ranges.
- (f): one 5-node sim cluster (scale ${scale}) behind HAProxy 2.6 configured as \`cockroach gen haproxy\` writes it (roundrobin, \`option httpchk GET /health?ready=1\`, inter ${2000 * scale} ms = 2000 ms × ${scale}, fall 3, rise 2). The methods alternate up a ladder of patch releases (v23.1.12, .13, ...), ${runs} round(s). Each run: kv table dropped, 4 workers (node-postgres Pool, ${"~"}100 ops/s, half inserts of unique keys, half reads of acked keys, a connection re-made every 25 statements), 5 s idle, then the roll; an operation is retried once only on 57P01 / 08xxx / socket errors. "missing acked" = acknowledged writes not readable afterwards through HAProxy or directly on any node (the worst address). Provider: defaults scaled (waitAfterRejoin 60 s, canary bake 120 s, gate every 5 s, re-check 22 s, in sim seconds) with \`strategy.loadBalancer: { checkInterval: "2s", fall: 3 }\`. Naive: bench/naive-upgrade.ts, the v1.0 procedure (SIGTERM by pid, \`mv cockroach cockroach_old\`, copy, \`start --background\`, sleep 60 s scaled), no drain command, no gate.
- Simulator caveat: on SIGTERM the sim refuses new SQL sessions at once (57P01), skipping the initial_wait phase that \`cockroach node drain\` honours (sim/node/runtime.ts: shutdown() sets \`stopping\` before the drain runs, and the pgwire admit check refuses while stopping; reference §4 says SIGTERM runs the same graceful drain). The naive runs' client errors are therefore pessimistic with initial_wait 8s; the provider, which drains with \`cockroach node drain\` before its SIGTERM, is unaffected.`;
}

async function main(): Promise<void> {
  const runs = arg("runs", 3);
  const timeScale = arg("time-scale", 0.2);
  const t0 = Date.now();
  const checkDiff = await attempt("check/diff", () => benchCheckDiff());
  const rollouts: (RolloutBench | Error)[] = [];
  for (let i = 0; i < runs; i++) rollouts.push(await attempt(`provider rollout ${i + 1}/${runs}`, () => benchProviderRollout()));
  const zone = await attempt("zone-at-a-time", () => benchZoneBatching({ log: (l) => console.error(`bench:   ${l}`) }));
  const load = await attempt("load (provider vs naive)", () => benchLoad({ runs, timeScale, log: (l) => console.error(`bench:   ${l}`) }));

  const { a, c } = rolloutRows(rollouts, load);
  const rows: Row[] = [
    ...a,
    ...(checkDiff instanceof Error
      ? [["(b) check/diff", `failed: ${checkDiff.message}`, "0"] as Row]
      : [
          ["(b) check latency (checkInputs + parseSpec), 100 nodes", `${checkDiff.checkMsMedian.toFixed(2)} ms`, "200"] as Row,
          ["(b) diff latency (diffResource + planRollout), 100 nodes", `${checkDiff.diffMsMedian.toFixed(2)} ms`, "200"] as Row,
        ]),
    ...c,
    zoneRow(zone),
    ...loadRows(load),
  ];
  const text = table(rows);
  console.log(text);
  const notes = methodNotes(load, runs);
  console.log(`\n${notes}\n\nTotal bench time: ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
  // The issue 14 targets block (npm run bench:targets) is kept as it is.
  const prev = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, "utf8") : "";
  const targets = /<!-- targets:start -->[\s\S]*<!-- targets:end -->/.exec(prev)?.[0];
  fs.writeFileSync(
    RESULTS,
    `<!-- generated by npm run bench; do not edit -->\n## Benchmarks\n\n${text}\n\n${notes}\n${targets ? `\n${targets}\n` : ""}`,
  );
  if (!(load instanceof Error)) {
    for (const r of load.runs) {
      const kinds = { ...r.failureKinds, ...r.retryKinds };
      if (Object.keys(kinds).length) console.error(`bench: ${r.method} ${r.version} errors: ${JSON.stringify(kinds)}`);
    }
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
