#!/usr/bin/env node
// `npm run demo`: compile the project (tsc -> dist/), then run the demo.
// Plain JS so that it works straight after `npm ci`.
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const root = path.resolve(__dirname, "..");
if (!process.argv.includes("--down") || !require("fs").existsSync(path.join(root, "dist", "scripts", "demo.js"))) {
  console.log("building (tsc)…");
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.json")], {
    stdio: "inherit",
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}
const demo = spawnSync(process.execPath, [path.join(root, "dist", "scripts", "demo.js"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(demo.status ?? 1);
