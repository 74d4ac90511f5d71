/**
 * Where the machine's CPU goes during a roll, by process class: samples every
 * process of one network namespace (an `nsrun` run: the bench, the engine,
 * the provider, the simulated cluster) from /proc every --interval ms and
 * writes, once a second, each class's CPU so far (ms) as a JSON line.
 *
 * Long-lived processes are read from their own utime + stime. Short-lived
 * ones (shells, `cockroach node drain`, the `cockroach start --background`
 * parent) are counted two ways: the pids seen in a sample (spawns, with the
 * CPU they had when last seen: a lower bound), and the provider's cutime +
 * cstime, the CPU of every child it reaped and theirs (the exact total). A
 * server child of `start --background` is not reaped: it is a sim node from
 * its first sample on, and its CPU until BOOT_S of age is its boot ("sim-boot").
 *
 *   node dist/bench/cpu-classes.js --netns-of <pid> --out FILE [--interval 50] [--spawns TSV]
 * (--spawns: at the end, every process started meanwhile, with its CPU when last seen.)
 * Runs until SIGINT/SIGTERM. Summarize with `node dist/bench/cpu-classes.js sum FILE FROM_S TO_S`.
 */
import * as fs from "fs";
import { classOf, type ProcClass } from "./cpu-class-of";
import { argvOf } from "../tests/support/processes";

const TICK_MS = 10; // USER_HZ = 100 on Linux
/** A sim node younger than this is booting: its CPU counts as "sim-boot". */
const BOOT_S = 3;
/** A child's argv is its parent's until it execs: a process this young is classified again on each pass. */
const EXEC_S = 1;

interface Seen {
  cls: ProcClass;
  readonly startTicks: number;
  first: number;
  last: number;
  lastChildren: number;
  firstChildren: number;
  /** A sim node's CPU at BOOT_S of age (its boot); undefined for other classes. */
  boot?: number;
  /** The first words of its command line (for --spawns). */
  cmd: string;
  /** Uptime ticks when last seen. */
  seenAt: number;
  /** Seen at the sampler's first pass: its CPU before that is not ours. */
  readonly preexisting: boolean;
}

function stat(pid: string): { own: number; children: number; start: number } | undefined {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

function uptimeTicks(): number {
  return Math.round(Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 100);
}

function machineBusyTicks(): number {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return cpu.reduce((a, x) => a + x, 0) - cpu[3] - (cpu[4] ?? 0);
}

function netnsOf(pid: string): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

function isBackgroundChild(pid: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes("CRDB_SIM_BACKGROUND_CHILD=1");
  } catch {
    return false;
  }
}

/** A process's class and command line; a sim node first seen young gets its boot counted. */
function describe(
  pid: string,
  now: number,
  start: number,
  own: number,
  firstPass: boolean,
): { cls: ProcClass; cmd: string; boot?: number } | undefined {
  const argv = argvOf(pid);
  if (argv.length === 0) return undefined;
  const cls = classOf(argv, isBackgroundChild(pid));
  const cmd = argv.join(" ").replace(/\s+/g, " ").slice(0, 160);
  return { cls, cmd, ...(cls === "sim-node" && now - start < BOOT_S * 100 && !firstPass && { boot: own }) };
}

function sampler(netns: string, out: string, intervalMs: number, spawnsFile?: string): void {
  const seen = new Map<string, Seen>();
  // Pids of other namespaces (the other engineers' runs): never read again, so a pass costs ~our processes only.
  const foreign = new Set<string>();
  const busy0 = machineBusyTicks();
  const t0 = Date.now();
  let firstPass = true;
  const sample = (): void => {
    const now = uptimeTicks();
    for (const pid of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(pid) || foreign.has(pid)) continue;
      const known = seen.get(pid);
      const s = stat(pid);
      if (!s) continue;
      if (known && known.startTicks === s.start) {
        known.last = s.own;
        known.seenAt = now;
        if (known.boot !== undefined && now - s.start < BOOT_S * 100) known.boot = s.own;
        known.lastChildren = s.children;
        if (!known.preexisting && now - s.start < EXEC_S * 100) Object.assign(known, describe(pid, now, s.start, s.own, false));
        continue;
      }
      if (netnsOf(pid) !== netns) {
        foreign.add(pid);
        continue;
      }
      const d = describe(pid, now, s.start, s.own, firstPass);
      if (!d) continue;
      seen.set(pid, {
        ...d,
        seenAt: now,
        startTicks: s.start,
        first: firstPass ? s.own : 0,
        last: s.own,
        firstChildren: firstPass ? s.children : 0,
        lastChildren: s.children,
        preexisting: firstPass,
      });
    }
    firstPass = false;
  };
  const write = (): void => {
    const byClass: Record<string, number> = {};
    const spawns: Record<string, number> = {};
    for (const s of seen.values()) {
      byClass[s.cls] = (byClass[s.cls] ?? 0) + (s.last - s.first - (s.boot ?? 0)) * TICK_MS;
      if (s.boot !== undefined) byClass["sim-boot"] = (byClass["sim-boot"] ?? 0) + s.boot * TICK_MS;
      if (!s.preexisting) spawns[s.cls] = (spawns[s.cls] ?? 0) + 1;
      if (s.cls === "provider")
        byClass["provider-reaped"] = (byClass["provider-reaped"] ?? 0) + (s.lastChildren - s.firstChildren) * TICK_MS;
    }
    const row = { t: (Date.now() - t0) / 1000, machineBusyMs: (machineBusyTicks() - busy0) * TICK_MS, byClass, spawns };
    fs.appendFileSync(out, JSON.stringify(row) + "\n");
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  const writer = setInterval(write, 1000);
  const stop = (): void => {
    clearInterval(timer);
    clearInterval(writer);
    sample();
    write();
    if (spawnsFile) {
      const lines = [...seen.values()]
        .filter((x) => !x.preexisting)
        .map((x) => `${x.startTicks}\t${x.seenAt - x.startTicks}\t${(x.last - x.first) * TICK_MS}\t${x.cls}\t${x.cmd}`);
      fs.writeFileSync(spawnsFile, "start_ticks\tseen_for_ticks\tcpu_ms\tclass\tcmd\n" + lines.join("\n") + "\n");
    }
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** The classes' CPU between two moments of a sampler's file (seconds since its start). */
function summarize(file: string, from: number, to: number): void {
  const rows = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { t: number; machineBusyMs: number; byClass: Record<string, number>; spawns: Record<string, number> });
  const at = (t: number): (typeof rows)[number] => rows.reduce((best, r) => (Math.abs(r.t - t) < Math.abs(best.t - t) ? r : best));
  const a = at(from);
  const b = at(to);
  const classes = [...new Set([...Object.keys(a.byClass), ...Object.keys(b.byClass)])].sort();
  const d = (k: string): number => (b.byClass[k] ?? 0) - (a.byClass[k] ?? 0);
  console.log(
    `${a.t.toFixed(0)}..${b.t.toFixed(0)} s: machine busy ${(b.machineBusyMs - a.machineBusyMs) / 1000} s of ${(2 * (b.t - a.t)).toFixed(1)} core-s`,
  );
  for (const k of classes) {
    const spawns = (b.spawns[k] ?? 0) - (a.spawns[k] ?? 0);
    console.log(`  ${k.padEnd(16)} ${(d(k) / 1000).toFixed(2).padStart(7)} s${spawns ? `  (${spawns} new pids seen)` : ""}`);
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  if (process.argv[2] === "sum") {
    summarize(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  } else {
    const of = arg("netns-of");
    const out = arg("out");
    const ns = of === undefined ? undefined : netnsOf(of);
    if (ns === undefined || out === undefined) {
      console.error("usage: node dist/bench/cpu-classes.js --netns-of PID --out FILE [--interval MS] | sum FILE FROM_S TO_S");
      process.exit(2);
    }
    sampler(ns, out, Number(arg("interval") ?? 50), arg("spawns"));
  }
}
