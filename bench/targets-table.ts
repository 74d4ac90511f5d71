/**
 * Renders issue 14's targets table from bench/targets-before.json (main
 * before the work), the fourth session's files (targets-final*.json and
 * its engineers' part files) and the fifth session's (targets-final5*.json), into
 * bench/RESULTS.md and README.md between the `targets:start` and
 * `targets:end` markers (added at the end of the file or of the README's
 * Benchmarks block when missing). Pure arithmetic over stored figures.
 */
import * as fs from "fs";
import * as path from "path";
import type { RolloutRecord } from "../provider/core/types";
import type { EngineRoll } from "./engine-roll";
import { floorOf, median, sum, wallMs } from "./roll-metrics";
import type { TargetsFile } from "./targets";

type Cell = string;
const NA = "–";
const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : NA);

function readOne(dir: string, label: string): TargetsFile | undefined {
  const f = path.join(dir, `targets-${label}.json`);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as TargetsFile) : undefined;
}

/** targets-<label>.json, with the engine rolls of targets-<label>-big.json and -50.json (large sizes, run in processes of their own). */
function read(dir: string, label: string): TargetsFile | undefined {
  return ["big", "50"].reduce((acc, part) => withBig(acc, readOne(dir, `${label}-${part}`)), readOne(dir, label));
}

function withBig(main: TargetsFile | undefined, big: TargetsFile | undefined): TargetsFile | undefined {
  if (!big?.engine || !main) return main ?? big;
  const sizes = new Set(big.engine.rolls.map((r) => r.nodes));
  const rolls = [...(main.engine?.rolls ?? []).filter((r) => !sizes.has(r.nodes)), ...big.engine.rolls];
  const errors = [...(main.engine?.errors ?? []), ...big.engine.errors];
  const errs = errors.filter((e) => !big.engine?.rolls.some((r) => e.startsWith(`${r.nodes} nodes`)));
  return { ...main, engine: { rolls, errors: errs }, machine: `${main.machine}; ${[...sizes].join("/")} nodes: ${big.machine}` };
}

function literal(t: TargetsFile | undefined): { ratio: Cell; errors: Cell; floor: Cell } {
  const runs = t?.literal?.runs ?? [];
  if (runs.length === 0) return { ratio: t?.literal?.error ? `failed: ${t.literal.error.slice(0, 80)}` : NA, errors: NA, floor: NA };
  // Each provider run against the script's runs of the same round (the runs up to the next provider run):
  // "naive+8s" is the script on the same cluster settings (server.shutdown.initial_wait 8s, which the
  // script's SIGTERM drain honours too), "naive" the script on the docs' default (0s).
  const ratiosTo = (method: string): number[] =>
    runs.flatMap((r, i) => {
      if (r.method !== "provider" || !r.ok) return [];
      const end = runs.findIndex((x, j) => j > i && x.method === "provider");
      const script = runs.slice(i + 1, end < 0 ? undefined : end).find((x) => x.method === method && x.ok);
      return script ? [r.wallMs / script.wallMs] : [];
    });
  const same = ratiosTo("naive+8s");
  const docs = ratiosTo("naive");
  const ratios = same.length ? same : docs;
  const side = (m: string): string => {
    const rs = runs.filter((r) => r.method === m);
    const f = (sel: (r: (typeof rs)[number]) => number): number => median(rs.map(sel));
    const who = m === "provider" ? "provider" : m === "naive+8s" ? "script (initial_wait 8s)" : same.length ? "script (0s)" : "script";
    return `${who}: failed ${f((r) => r.failures)}, retried ${f((r) => r.retried)}, missing acked ${f((r) => r.missing)}, p99 ${f((r) => r.p99RollMs)} ms, wall ${s1(f((r) => r.wallMs))}`;
  };
  const recs = runs.filter((r) => r.method === "provider" && r.record).map((r) => r.record as RolloutRecord);
  const floors = recs.map((r) => wallMs(r) / sum(floorOf(r, () => 10_000).map((b) => b.floorMs)));
  return {
    ratio: ratios.length
      ? `${r2(median(ratios))} (${ratios.length} round${ratios.length > 1 ? "s" : ""}${same.length && docs.length ? `, same initial_wait; script on the docs' 0s: ${r2(median(docs))}` : ""})`
      : NA,
    errors: [side("provider"), ...(same.length ? [side("naive+8s")] : []), ...(docs.length ? [side("naive")] : [])].join("; "),
    floor: floors.length ? r2(median(floors)) : NA,
  };
}

function roll(t: TargetsFile | undefined, nodes: number, mode: "node" | "zone"): EngineRoll | undefined {
  return t?.engine?.rolls.find((r) => r.nodes === nodes && r.mode === mode);
}

function floorCell(t: TargetsFile | undefined): Cell {
  const parts = [3, 9, 30, 50].map((n) => {
    const r = roll(t, n, "node");
    return r?.ok && r.floorMs > 0 ? `${n}: ${r2(r.wallMs / r.floorMs)}` : `${n}: ${r ? "failed" : NA}`;
  });
  return `${parts.join(" · ")} (one at a time; wall ÷ Σ floor)`;
}

/** The after-canary re-estimate ÷ the time that really remained after it ("" when the roll has none). */
function canaryPart(r: EngineRoll): string {
  const a = r.afterCanary;
  return a && a.actualMs > 0 ? ` (after canary ${r2(a.remainingMs / a.actualMs)})` : "";
}

/** The ETA of rolls after a first one on the same cluster (targets-now-eta / -after-eta.json): the measured pace. */
function pacedEtaCell(t: TargetsFile | undefined): Cell {
  const rs = (t?.engine?.rolls ?? []).filter((r) => r.paced && r.ok && r.etaMs);
  if (rs.length === 0) return NA;
  return rs
    .map((r) => `${r.nodes}${r.mode === "zone" ? " by zone" : ""}: ${r2((r.etaMs as number) / r.wallMs)}${canaryPart(r)}`)
    .join(" · ");
}

/** The first roll of each case, from the first of `ts` that has it (newer files first). */
function etaCell(...ts: (TargetsFile | undefined)[]): Cell {
  const cases: [number, "node" | "zone", string][] = [
    [3, "node", "3"],
    [9, "node", "9"],
    [9, "zone", "9 by zone"],
    [30, "zone", "30 by zone"],
    [50, "node", "50"],
  ];
  return cases
    .map(([n, m, label]) => {
      // The first roll of a cluster is the first stored for its size (older files have no `paced`).
      const firstOf = (t: TargetsFile | undefined): EngineRoll | undefined => t?.engine?.rolls.find((x) => x.nodes === n);
      const r = ts.map(firstOf).find((x) => x?.mode === m);
      return `${label}: ${r?.ok && r.etaMs ? `${r2(r.etaMs / r.wallMs)}${canaryPart(r)}` : NA}`;
    })
    .join(" · ");
}

/** First rolls at real timing (the eta-real part, targets-<label>-real.json): plan ETA and after-canary re-estimate. */
function etaRealCell(t: TargetsFile | undefined): Cell {
  const rs = [...(t?.etaReal?.rolls ?? [])].sort((a, b) => a.nodes - b.nodes || a.mode.localeCompare(b.mode));
  if (rs.length === 0) return t?.etaReal?.errors.join("; ").slice(0, 120) || NA;
  return rs
    .map((r) => {
      const what = `${r.nodes}${r.mode === "zone" ? " by zone" : ""}`;
      if (!r.ok || !r.etaMs) return `${what}: failed`;
      return `${what}: plan ${r2(r.etaMs / r.wallMs)} (${s1(r.etaMs)} ÷ ${s1(r.wallMs)})${canaryPart(r)}`;
    })
    .join(" · ");
}

function zoneCell(t: TargetsFile | undefined, nodes: number): Cell {
  const a = roll(t, nodes, "zone");
  const b = roll(t, nodes, "node");
  if (!a?.ok || !b?.ok) return `${nodes} nodes: ${a || b ? "a run failed" : NA}`;
  return `${nodes} nodes: ${r2(a.wallMs / b.wallMs)} (${s1(a.wallMs)} ÷ ${s1(b.wallMs)})`;
}

function fiftyCell(t: TargetsFile | undefined): Cell {
  return (["node", "zone"] as const)
    .map((m) => {
      const r = roll(t, 50, m);
      if (!r) return `${m}: ${t?.engine?.errors.find((e) => e.startsWith("50 "))?.slice(0, 80) ?? NA}`;
      const inv = r.violations.length ? `violations: ${r.violations.join("; ").slice(0, 100)}` : "invariants held";
      return `${m === "node" ? "one at a time" : "by zone"}: ${r.ok ? "ok" : "FAILED"} in ${s1(r.wallMs)}, ≤ ${r.maxDownAtOnce} down at once, ${r.maxUnavailableRanges} unavailable ranges (${r.rangeSamples} samples), ${inv}`;
    })
    .join("; ");
}

function rssCell(t: TargetsFile | undefined): Cell {
  const peak = (n: number): number | undefined => {
    // A run refused at pre-flight rolled nothing: its memory says nothing about a roll.
    const rs = (t?.engine?.rolls ?? []).filter((r) => r.nodes === n && r.rss.peakKb > 0 && (r.ok || r.floorMs > 0));
    return rs.length ? Math.max(...rs.map((r) => r.rss.peakKb)) / 1024 : undefined;
  };
  const ps = [3, 9, 30, 50].map((n) => [n, peak(n)] as const);
  const cells = ps.map(([n, p]) => `${n}: ${p === undefined ? NA : `${p.toFixed(0)} MB`}`);
  const known = ps.filter((x): x is readonly [number, number] => x[1] !== undefined);
  // The steepest slope from the smallest size: growth per node is a bound, not an average.
  const slopes = known.slice(1).map(([n, p]) => (p - known[0][1]) / (n - known[0][0]));
  const growth = slopes.length ? Math.max(...slopes).toFixed(2) : NA;
  // The spawn helper (fifth session) is a process of its own: its memory is shown, not hidden.
  const helpers = (t?.engine?.rolls ?? []).map((r) => r.rss.helperPeakKb ?? 0).filter((k) => k > 0);
  const mb = (kb: number): string => (kb / 1024).toFixed(0);
  const helper = helpers.length ? `; plus the spawn helper process: ${mb(Math.min(...helpers))}–${mb(Math.max(...helpers))} MB` : "";
  return `${cells.join(" · ")}; growth up to ${growth} MB/node (from ${known[0]?.[0] ?? NA} nodes)${helper}`;
}

function gateCell(t: TargetsFile | undefined): Cell {
  const rs = t?.gate?.results ?? [];
  if (rs.length === 0) return t?.gate?.errors.join("; ") || NA;
  return rs
    .map((g) => {
      const inside = g.clusterRangesCalls !== undefined ? `; inside the cluster ${g.clusterRangesCalls} node Ranges calls` : "";
      return `${g.nodes} nodes: ${g.perSecond.toFixed(1)}/s (${g.http} HTTP + ${g.sql} SQL in ${g.seconds.toFixed(0)} s${inside})`;
    })
    .join(" · ");
}

function checkDiffCell(t: TargetsFile | undefined): Cell {
  const c = t?.checkdiff?.find((x) => x.nodes === 500);
  if (!c) return NA;
  const cpu = c.checkCpuMs !== undefined ? ` (CPU ${c.checkCpuMs.toFixed(1)} / ${(c.diffCpuMs ?? NaN).toFixed(1)} ms)` : "";
  return `${c.checkMs.toFixed(1)} / ${c.diffMs.toFixed(1)} ms${cpu}`;
}

/** The first of the files that has the part. */
function firstWith<K extends keyof TargetsFile>(key: K, ...ts: (TargetsFile | undefined)[]): TargetsFile | undefined {
  return ts.find((t) => t?.[key] !== undefined);
}

/**
 * The fourth session's column: the run on merged main (targets-final.json, with
 * -final-50 for 50 nodes) where it has the part, else the part files each
 * engineer measured on their branch (now-literal, now-floor 3/9, now-scale
 * 30, now-scale-50, now-gate); an engine size from the first file that has it.
 */
function nowFile(dir: string): TargetsFile | undefined {
  const final = read(dir, "final");
  const parts = ["now-literal", "now-floor", "now-scale", "now-scale-50", "now-gate", "now-rss"].map((l) => readOne(dir, l));
  const all = [final, ...parts];
  if (all.every((t) => t === undefined)) return undefined;
  const rolls = [3, 9, 30, 50].flatMap((n) => {
    const src = all.find((t) => t?.engine?.rolls.some((r) => r.nodes === n));
    return src?.engine?.rolls.filter((r) => r.nodes === n) ?? [];
  });
  const machines = all.filter((t): t is TargetsFile => t?.machine !== undefined).map((t) => `${t.label}: ${t.machine}`);
  return {
    label: "now",
    commit: final?.commit,
    machine: machines.join("; "),
    literal: firstWith("literal", ...all)?.literal,
    engine: { rolls, errors: final?.engine?.errors ?? [] },
    gate: firstWith("gate", ...all)?.gate,
    checkdiff: firstWith("checkdiff", ...all)?.checkdiff,
  };
}

/** One column of the table: its heading, the figures, and the per-part files that only it has. */
interface Column {
  readonly title: string;
  readonly t: TargetsFile | undefined;
  /** First rolls at real timing (eta-real part). */
  readonly etaReal: TargetsFile | undefined;
  /** Rolls after another on the same cluster (measured pace). */
  readonly paced: TargetsFile | undefined;
  /** Where a first roll's ETA is looked for when `t` lacks its size. */
  readonly etaFallback?: TargetsFile;
}

const NOT_RERUN = "not re-measured (the column before stands)";

export function targetsMarkdown(columns: readonly Column[]): string {
  const lits = columns.map((c) => literal(c.t));
  const row = (name: string, cell: (c: Column, i: number) => Cell, target: string): Cell[] => [name, ...columns.map(cell), target];
  const rows: Cell[][] = [
    row("provider wall ÷ literal-procedure script wall, 5 nodes, same 10 s bake, same run", (_, i) => lits[i].ratio, "≤ 1.0"),
    row("client errors under the HAProxy load (median per roll)", (_, i) => lits[i].errors, "as today"),
    row("provider wall ÷ its floor, 5 nodes under load (10 s bake)", (_, i) => lits[i].floor, "≤ 1.05"),
    row("provider wall ÷ its floor, under the engine (3 s bake)", (c) => floorCell(c.t), "≤ 1.05"),
    row(
      "plan ETA ÷ actual wall, first roll, sim time scale 0.1 (real-cluster figures: only the after-canary re-estimate can hold)",
      (c) => etaCell(c.t, c.etaFallback),
      "0.8–1.2",
    ),
    row(
      "plan ETA ÷ actual wall, first roll at real timing (sim time scale 1, 15 s bake, the provider's gate timing)",
      (c) => (c.etaReal ? etaRealCell(c.etaReal) : c.title.startsWith("now") ? NOT_RERUN : NA),
      "0.8–1.2",
    ),
    row(
      "plan ETA ÷ actual wall, a roll after another (measured pace)",
      (c) => (c.paced ? pacedEtaCell(c.paced) : c.title.startsWith("now") ? NOT_RERUN : NA),
      "0.8–1.2",
    ),
    row("zone-at-a-time ÷ one at a time", (c) => zoneCell(c.t, 30), "≤ 0.15"),
    row("zone-at-a-time ÷ one at a time (reference)", (c) => `${zoneCell(c.t, 9)} · ${zoneCell(c.t, 50)}`, "–"),
    row("50-node cluster rolled", (c) => fiftyCell(c.t), "succeeds, invariants held"),
    row("provider peak RSS under the real engine (VmHWM)", (c) => rssCell(c.t), "≤ 150 MB at 50, ≤ 1 MB/node"),
    row("gate queries per second, real timing (default 5 s interval)", (c) => gateCell(c.t), "≤ 2/s, flat"),
    row("check / diff at 500 nodes (median wall)", (c) => checkDiffCell(c.t), "< 20 ms each"),
  ];
  const esc = (x: string): string => x.replace(/\s+/g, " ").replace(/\|/g, "\\|");
  const titles = columns.map((c) => (c.t?.commit ? `${c.title} (${c.t.commit})` : c.title));
  const head = `| metric | ${titles.join(" | ")} | target |\n| --- | ${columns.map(() => "---").join(" | ")} | --- |`;
  const body = rows.map((r) => `| ${r.map(esc).join(" | ")} |`).join("\n");
  const machine = columns
    .filter((c) => c.t?.machine)
    .map((c) => `${c.title}: ${c.t?.machine}`)
    .join("; ");
  return `${head}\n${body}\n\nMachine: ${machine || NA}.`;
}

function replaceBlock(text: string, block: string, anchor?: string): string {
  const start = "<!-- targets:start -->";
  const end = "<!-- targets:end -->";
  const full = `${start}\n${block}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) return text.slice(0, i) + full + text.slice(j + end.length);
  if (anchor !== undefined && text.includes(anchor)) return text.replace(anchor, `${full}\n${anchor}`);
  return `${text.trimEnd()}\n\n${full}\n`;
}

export function renderTargets(benchDir: string): void {
  const md = targetsMarkdown([
    {
      title: "before: main",
      t: read(benchDir, "before"),
      etaReal: readOne(benchDir, "before-real"),
      paced: readOne(benchDir, "before-eta"),
    },
    {
      title: "fourth session",
      t: nowFile(benchDir),
      etaReal: readOne(benchDir, "now-eta-real"),
      paced: readOne(benchDir, "now-eta"),
      etaFallback: readOne(benchDir, "now-eta"),
    },
    // The fifth session, on merged main: targets-final5.json, -final5-real (eta-real), -final5-eta (paced rolls).
    {
      title: "now: fifth session",
      t: read(benchDir, "final5"),
      etaReal: readOne(benchDir, "final5-real"),
      paced: readOne(benchDir, "final5-eta"),
    },
  ]);
  const method = fs.readFileSync(path.join(benchDir, "TARGETS-METHOD.md"), "utf8").trim();
  const results = path.join(benchDir, "RESULTS.md");
  const block = `### Issue 14 targets (\`npm run bench:targets\`)\n\n${md}\n\n${method}`;
  fs.writeFileSync(results, replaceBlock(fs.readFileSync(results, "utf8"), block));
  const readme = path.join(benchDir, "..", "README.md");
  fs.writeFileSync(readme, replaceBlock(fs.readFileSync(readme, "utf8"), `#### Issue 14 targets\n\n${md}`, "<!-- bench:end -->"));
  console.log(md);
}
