/**
 * Where the CPU went during one `pulumi up` on the shared 2-core machine:
 * the dynamic-provider process's own CPU time (utime + stime), with its
 * spawn helper's (provider/transport/spawn-helper.ts), and that of
 * the children it waited for (cutime + cstime: the shells and `cockroach`
 * CLI runs of every probe, drain, stop, start), read from
 * /proc/<pid>/stat every SAMPLE_MS; and the whole machine's busy time over
 * the same span, from /proc/stat. A roll whose machine was busy nearly all
 * the time (busy ≈ cores × wall) is bound by the CPU, not by the provider's
 * waits.
 */
import * as fs from "fs";
import * as os from "os";
import { descendantsOf } from "../tests/support/processes";
import { isDynamicProvider, isSpawnHelper } from "./provider-rss";

const SAMPLE_MS = 500;
const TICK_MS = 10; // USER_HZ = 100 on Linux

export interface RollCpu {
  /** The dynamic-provider process: its own CPU time, ms. */
  readonly providerMs: number;
  /** The children it ran and reaped (probes, CLI runs), ms. */
  readonly providerChildrenMs: number;
  /** Every core's non-idle time over the span, ms (2 cores fully busy for 10 s = 20 000). */
  readonly machineBusyMs: number;
  /** Cores × wall of the span, ms: busy ÷ this is how loaded the machine was. */
  readonly machineMs: number;
}

function ticksOf(pid: number): { own: number; children: number } | undefined {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // Fields after "(comm) ": state is [0], so utime (14th field) is [11].
    return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.reduce((a, x) => a + x, 0);
  return { busy: total - idle, total };
}

export class RollCpuSampler {
  private readonly last = new Map<number, { own: number; children: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly start = machineTicks();
  private readonly t0 = Date.now();

  constructor(private readonly root: number) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    for (const pid of descendantsOf(this.root).filter((p) => isDynamicProvider(p) || isSpawnHelper(p))) {
      const t = ticksOf(pid);
      if (t) this.last.set(pid, t);
    }
  }

  stop(): RollCpu {
    this.sample();
    clearInterval(this.timer);
    const end = machineTicks();
    const all = [...this.last.values()];
    return {
      providerMs: all.reduce((a, t) => a + t.own, 0) * TICK_MS,
      providerChildrenMs: all.reduce((a, t) => a + t.children, 0) * TICK_MS,
      machineBusyMs: (end.busy - this.start.busy) * TICK_MS,
      machineMs: os.cpus().length * (Date.now() - this.t0),
    };
  }
}
