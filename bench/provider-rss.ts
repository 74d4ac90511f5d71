/**
 * The memory of the dynamic-provider process the Pulumi engine starts, read
 * from outside while `pulumi up` runs: the engine runs
 * pulumi-resource-pulumi-nodejs (a shell script) which runs
 * `node .../@pulumi/pulumi/cmd/dynamic-provider`; that node process is found
 * among the CLI's descendants by its command line, and its /proc/<pid>/status
 * VmHWM (peak resident set) and VmRSS are sampled every SAMPLE_MS.
 */
import * as fs from "fs";
import { argvOf, descendantsOf } from "../tests/support/processes";
import { isDynamicProviderArgv, isSpawnHelperArgv } from "./cpu-class-of";

const SAMPLE_MS = 250;

export interface ProviderRss {
  /** Peak resident set (VmHWM) of the dynamic-provider process, kB; 0 when none was seen. */
  readonly peakKb: number;
  /** The resident set at the first sample, kB (the provider loaded, before the roll). */
  readonly firstKb: number;
  /** Dynamic-provider processes seen (the engine may start more than one). */
  readonly processes: number;
  readonly samples: number;
  /**
   * Peak resident set of the provider's spawn helper (provider/transport/spawn-helper.ts), kB: a process
   * of its own since the fifth session, reported beside the provider's so its memory is not hidden.
   */
  readonly helperPeakKb?: number;
}

function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The engine's dynamic-provider process (also used by provider-cpu.ts). */
export function isDynamicProvider(pid: number): boolean {
  return isDynamicProviderArgv(argvOf(pid));
}

/** The provider's spawn helper (also used by provider-cpu.ts). */
export function isSpawnHelper(pid: number): boolean {
  return isSpawnHelperArgv(argvOf(pid));
}

/** Samples the dynamic-provider processes below `root`, and their spawn helpers, until stop(). */
export class ProviderRssSampler {
  private readonly peak = new Map<number, number>();
  private helperPeakKb = 0;
  private firstKb = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly root: number) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    const below = descendantsOf(this.root);
    for (const pid of below.filter(isSpawnHelper)) this.helperPeakKb = Math.max(this.helperPeakKb, statusKb(pid, "VmHWM") ?? 0);
    for (const pid of below.filter(isDynamicProvider)) {
      const hwm = statusKb(pid, "VmHWM");
      if (hwm === undefined) continue;
      this.samples++;
      if (this.firstKb === 0) this.firstKb = statusKb(pid, "VmRSS") ?? 0;
      this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, hwm));
    }
  }

  stop(): ProviderRss {
    clearInterval(this.timer);
    return {
      peakKb: Math.max(0, ...this.peak.values()),
      firstKb: this.firstKb,
      processes: this.peak.size,
      samples: this.samples,
      helperPeakKb: this.helperPeakKb,
    };
  }
}
