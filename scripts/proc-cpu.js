/**
 * CPU seconds per test file, for scripts/run-tests.js: every process that
 * carries RUN_TESTS_FILE=<label> in its environment (mocha, and what it
 * starts: simulated nodes that daemonize, sshd, HAProxy, the Pulumi engine)
 * is sampled from /proc every second. Daemonized nodes are re-parented
 * away from mocha, so the shell's `times` alone would miss them. A process
 * that lives less than one interval is not seen: the figures are a floor.
 */
"use strict";
const fs = require("fs");

const MARK = "RUN_TESTS_FILE=";
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime (seconds) and start time of a pid, or undefined when it is gone. */
function statOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { cpuS: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND, start: f[19] };
  } catch {
    return undefined;
  }
}

function labelOf(pid) {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
    const at = env.indexOf(MARK);
    return at < 0 ? null : env.slice(at + MARK.length, env.indexOf("\0", at));
  } catch {
    return null; // gone, or not ours to read
  }
}

/** Starts sampling; `cpuOf(label)` is the CPU seen so far, `stop()` ends the sampling. */
function startCpuSampler(intervalMs = 1000) {
  const perLabel = new Map();
  const known = new Map(); // "pid:start" -> { label, cpuS }
  const sample = () => {
    if (!fs.existsSync("/proc/self/stat")) return;
    const alive = new Set();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const st = statOf(entry);
      if (!st) continue;
      const key = `${entry}:${st.start}`;
      alive.add(key);
      let k = known.get(key);
      if (!k) known.set(key, (k = { label: labelOf(entry), cpuS: 0 }));
      if (k.label === null) continue;
      perLabel.set(k.label, (perLabel.get(k.label) ?? 0) + st.cpuS - k.cpuS);
      k.cpuS = st.cpuS;
    }
    for (const key of known.keys()) if (!alive.has(key)) known.delete(key);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    mark: (label) => ({ [MARK.slice(0, -1)]: label }),
    cpuOf: (label) => perLabel.get(label) ?? 0,
    stop: () => clearInterval(timer),
    sample,
  };
}

module.exports = { startCpuSampler };
