#!/usr/bin/env node
/**
 * `npm run sim -- ...`: compiles the project with tsc when dist/ is missing
 * or older than any source under sim/ (so `npm ci && npm run sim` works
 * without a build step), then runs dist/sim/main.js with the arguments.
 * Build output goes to stderr so stdout stays the simulator's JSON.
 */
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const entry = path.join(root, "dist", "sim", "main.js");

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  if (!fs.existsSync(entry)) return true;
  const built = fs.statSync(entry).mtimeMs;
  return newestMtime(path.join(root, "sim")) > built;
}

if (needsBuild()) {
  const tsc = require.resolve("typescript/bin/tsc", { paths: [root] });
  const r = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json")], { cwd: root, stdio: ["ignore", 2, 2] });
  // tsc exits non-zero on type errors elsewhere in the project but still emits; only a missing entry is fatal.
  if (!fs.existsSync(entry)) {
    process.stderr.write(`run-sim: build failed (tsc exit ${r.status}); ${entry} was not produced\n`);
    process.exit(1);
  }
  fs.utimesSync(entry, new Date(), new Date());
}

// Run the simulator as a child and pass signals on, so that stopping this
// wrapper (e.g. `serve`) stops the simulator too instead of orphaning it.
const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on("exit", (code, signal) =>
  process.exit(code === null ? (signal ? 128 + (require("os").constants.signals[signal] || 0) : 1) : code),
);
