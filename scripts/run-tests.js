#!/usr/bin/env node
/**
 * Runs the slow suites (integration, e2e) as one mocha process per test file,
 * `--jobs` files at a time (default 4, or TEST_JOBS), longest first, so `npm test` fits CI's
 * budget on two cores. A cluster test spends most of its time waiting (sim
 * bakes, gates, the engine): measured, its processes use ~0.15-0.25 of a core
 * on average, so four files at a time keep two cores busy. Every file
 * binds only its own loopback addresses (see CONTRIBUTING.md), uses its own
 * temp dirs and PULUMI_HOME, so files do not meet each other.
 *
 *   node scripts/run-tests.js [--jobs N] [--record] [integration] [e2e] [dist/tests/...test.js ...]
 *
 * Each output line is prefixed with its file ("[e2e/chaos] ..."); at the end a
 * table gives each file's result, wall and CPU seconds (of every process it
 * started, sampled by scripts/proc-cpu.js), and the run fails when any file failed.
 * The expected durations that order the queue are in scripts/test-timings.json
 * (`--record` rewrites it from this run); a file not listed there runs first.
 */
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const path = require("path");
const { startCpuSampler } = require("./proc-cpu");

const ROOT = path.resolve(__dirname, "..");
const TIMINGS = path.join(__dirname, "test-timings.json");
const MOCHA = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");
const SUITES = {
  integration: { dir: "dist/tests/integration", timeoutMs: 300_000 },
  e2e: { dir: "dist/tests/e2e", timeoutMs: 900_000 },
};
/** Seconds assumed for a file without a recorded timing: long, so it starts early rather than last. */
const UNKNOWN_SECONDS = 600;

function parseArgs(argv) {
  const out = { jobs: Number(process.env.TEST_JOBS ?? 4), record: false, targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--jobs") out.jobs = Number(argv[++i]);
    else if (a === "--record") out.record = true;
    else out.targets.push(a);
  }
  if (!Number.isInteger(out.jobs) || out.jobs < 1) throw new Error(`--jobs must be a positive integer, got ${out.jobs}`);
  if (out.targets.length === 0) out.targets = Object.keys(SUITES);
  return out;
}

/** Every file to run with its mocha timeout; a suite name expands to its directory's *.test.js files. */
function expand(targets) {
  const files = [];
  for (const t of targets) {
    const suite = SUITES[t];
    if (suite) {
      const dir = path.join(ROOT, suite.dir);
      if (!fs.existsSync(dir)) throw new Error(`${suite.dir} is missing: run npm run build first`);
      for (const f of fs.readdirSync(dir).sort())
        if (f.endsWith(".test.js")) files.push({ file: path.join(dir, f), timeoutMs: suite.timeoutMs });
    } else {
      const file = path.resolve(t);
      if (!fs.existsSync(file)) throw new Error(`no such test file or suite: ${t} (suites: ${Object.keys(SUITES).join(", ")})`);
      const timeoutMs = file.includes(`${path.sep}e2e${path.sep}`) ? SUITES.e2e.timeoutMs : SUITES.integration.timeoutMs;
      files.push({ file, timeoutMs });
    }
  }
  return files;
}

/** "e2e/chaos" for dist/tests/e2e/chaos.test.js: the key in test-timings.json and the output prefix. */
function label(file) {
  return `${path.basename(path.dirname(file))}/${path.basename(file, ".test.js")}`;
}

function readTimings() {
  try {
    return JSON.parse(fs.readFileSync(TIMINGS, "utf8"));
  } catch {
    return {};
  }
}

/** Writes each complete line of a stream to stdout with the prefix; the tail is flushed at the end. */
function prefixLines(stream, prefix) {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop();
    for (const l of lines) process.stdout.write(`${prefix} ${l}\n`);
  });
  stream.on("end", () => {
    if (rest) process.stdout.write(`${prefix} ${rest}\n`);
  });
}

const running = new Set();
const cpu = startCpuSampler();

/** One test file in its own mocha process (own process group, so an interrupted run can end it by pid). */
function runFile({ file, timeoutMs }) {
  const name = label(file);
  const started = Date.now();
  process.stdout.write(`[${name}] started\n`);
  const child = spawn(process.execPath, [MOCHA, "--config", ".mocharc.json", "--timeout", String(timeoutMs), file], {
    cwd: ROOT,
    env: { ...process.env, ...cpu.mark(name) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  prefixLines(child.stdout, `[${name}]`);
  prefixLines(child.stderr, `[${name}]`);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      cpu.sample();
      const result = { name, ok: code === 0, code: code ?? signal, wallS: (Date.now() - started) / 1000, cpuS: cpu.cpuOf(name) };
      process.stdout.write(`[${name}] ${result.ok ? "passed" : `FAILED (exit ${result.code})`} in ${result.wallS.toFixed(0)}s\n`);
      resolve(result);
    });
  });
}

/** Longest expected first; `jobs` workers take the next file as they finish. */
async function runAll(files, jobs, timings) {
  const queue = [...files].sort((a, b) => (timings[label(b.file)] ?? UNKNOWN_SECONDS) - (timings[label(a.file)] ?? UNKNOWN_SECONDS));
  const results = [];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) results.push(await runFile(next));
  };
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  return results;
}

function report(results, wallS) {
  const rows = [...results].sort((a, b) => b.wallS - a.wallS);
  console.log("\nfile                                       result   wall s   cpu s");
  for (const r of rows)
    console.log(
      `${r.name.padEnd(42)} ${(r.ok ? "ok" : "FAILED").padEnd(6)} ${r.wallS.toFixed(0).padStart(8)} ${r.cpuS.toFixed(0).padStart(7)}`,
    );
  const sum = (k) => results.reduce((s, r) => s + r[k], 0).toFixed(0);
  console.log(`${results.length} files in ${wallS.toFixed(0)}s wall (${sum("wallS")}s of file time, ${sum("cpuS")} CPU-seconds)`);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) console.log(`FAILED: ${failed.map((r) => r.name).join(", ")}`);
  return failed.length === 0;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const files = expand(args.targets);
  const timings = readTimings();
  console.log(`run-tests: ${files.length} files, ${args.jobs} at a time`);
  const started = Date.now();
  const results = await runAll(files, args.jobs, timings);
  cpu.stop();
  const ok = report(results, (Date.now() - started) / 1000);
  if (args.record) {
    for (const r of results) timings[r.name] = Math.round(r.wallS);
    const sorted = Object.fromEntries(Object.entries(timings).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(TIMINGS, JSON.stringify(sorted, null, 2) + "\n");
  }
  process.exitCode = ok ? 0 : 1;
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const c of running) {
      try {
        process.kill(-c.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    process.exit(1);
  });
}

main().catch((e) => {
  console.error(`run-tests: ${e.message}`);
  process.exit(2);
});
