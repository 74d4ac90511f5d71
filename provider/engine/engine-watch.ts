/**
 * The provider never outlives its engine. The engine starts the dynamic
 * provider as `pulumi-resource-pulumi-nodejs` (a shell script that runs
 * node without exec), talks to it over gRPC and reads its stdout/stderr.
 * When the engine dies (kill -9 of `pulumi`), nothing tells the provider:
 * its pid stays alive, it holds the cluster's lease, and every line it
 * writes fails with EPIPE — which the SDK's uncaught-error handler reports
 * on the closed stderr, which fails again: a spin.
 *
 * So the provider watches for the engine going away:
 * - its ancestry changes: the wrapper shell (or node itself) is re-parented
 *   when the engine process is gone (checked every second, from /proc);
 * - stdout or stderr fails (EPIPE, EOF): nobody reads us any more.
 * Then each running update is aborted at its next safe boundary (see
 * RunGuard), releases the lease (rollout.ts does, on the way out), and the
 * process exits once no update runs. A hard exit after EXIT_GRACE_MS ends a
 * run that does not stop; its lease then expires by its TTL.
 *
 * Armed only inside the engine's dynamic-provider process: direct callers
 * (tests, tools) own their process and pass their own AbortSignal.
 */
import * as fs from "fs";
import { setMaxListeners } from "events";
import type { RolloutEvent } from "../core/events";

const CHECK_MS = 1000;
const EXIT_GRACE_MS = 60_000;

/** Phases that change a node or a setting: an abort waits for their end (waits are aborted at once). */
const ACTING = new Set(["drain", "stop", "swap-binary", "start", "block-finalization", "unblock-finalization"]);

interface Ancestry {
  readonly parent: number;
  /** The parent's own parent, when the parent is the wrapper shell: the engine. */
  readonly grandparent?: number;
}

let armed: EngineWatch | undefined;

/** The watch for this process (undefined when not running inside the engine's dynamic provider). */
export function engineWatch(): EngineWatch | undefined {
  if (armed) return armed;
  const main = require.main?.filename ?? "";
  if (!/[\\/]cmd[\\/]dynamic-provider[\\/]/.test(main) && process.env.CRDB_UPGRADE_ENGINE_WATCH !== "1") return undefined;
  armed = new EngineWatch();
  return armed;
}

export class EngineWatch {
  private goneWhy?: string;
  private readonly runs = new Set<RunGuard>();
  private readonly ancestry: Ancestry;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.ancestry = ancestryNow();
    this.timer = setInterval(() => this.check(), CHECK_MS);
    this.timer.unref();
    for (const stream of [process.stdout, process.stderr]) {
      // A listener also keeps the SDK's uncaught handler from writing the error to the same dead pipe.
      stream.on("error", (e: NodeJS.ErrnoException) =>
        this.gone(`its ${stream === process.stdout ? "stdout" : "stderr"} failed (${e.code ?? e.message})`),
      );
    }
  }

  get why(): string | undefined {
    return this.goneWhy;
  }

  /** A guard for one update: its signal aborts once the engine is gone and no acting phase runs. */
  guard(): RunGuard {
    const g = new RunGuard(() => this.runs.delete(g) && this.exitIfIdle());
    this.runs.add(g);
    if (this.goneWhy !== undefined) g.engineGone(this.goneWhy);
    return g;
  }

  private check(): void {
    const now = ancestryNow();
    if (now.parent !== this.ancestry.parent) return this.gone(`the engine is gone (parent ${this.ancestry.parent} exited)`);
    if (this.ancestry.grandparent !== undefined && now.grandparent !== this.ancestry.grandparent)
      return this.gone(`the engine is gone (pid ${this.ancestry.grandparent} exited)`);
  }

  private gone(why: string): void {
    if (this.goneWhy !== undefined) return;
    this.goneWhy = why;
    clearInterval(this.timer);
    for (const g of this.runs) g.engineGone(why);
    // Ends a run that does not stop; its lease expires by its TTL.
    setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
    this.exitIfIdle();
  }

  private exitIfIdle(): void {
    if (this.goneWhy !== undefined && this.runs.size === 0) setImmediate(() => process.exit(1));
  }
}

/**
 * One update's view: `observe` every event; `signal` aborts when the engine
 * is gone, at once during a wait, or when the acting phase in progress ends.
 */
export class RunGuard {
  private readonly ctl = new AbortController();
  private readonly acting = new Map<string, number>();
  private pendingWhy?: string;

  constructor(private readonly onDone: () => void) {
    setMaxListeners(0, this.ctl.signal);
  }

  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  readonly observe = (e: RolloutEvent): void => {
    if (e.type !== "phase-start" && e.type !== "phase-end") return;
    if (!ACTING.has(e.phase)) return;
    const key = `${e.phase}/${e.at?.node ?? ""}`;
    const n = (this.acting.get(key) ?? 0) + (e.type === "phase-start" ? 1 : -1);
    if (n > 0) this.acting.set(key, n);
    else this.acting.delete(key);
    if (this.pendingWhy !== undefined) this.abortIfSafe();
  };

  engineGone(why: string): void {
    this.pendingWhy = why;
    this.abortIfSafe();
  }

  /** The update is over (its lease released). */
  done(): void {
    this.onDone();
  }

  private abortIfSafe(): void {
    if (this.acting.size === 0 && !this.ctl.signal.aborted) this.ctl.abort(`${this.pendingWhy}: stopped at a safe boundary`);
  }
}

function ancestryNow(): Ancestry {
  const parent = process.ppid;
  const comm = readProc(`/proc/${parent}/comm`)?.trim() ?? "";
  if (!/^(sh|dash|bash|ash|busybox)$/.test(comm)) return { parent };
  return { parent, grandparent: ppidOf(parent) };
}

function ppidOf(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Fields after the command (which may hold spaces): state ppid ...
  const ppid = Number(stat.replace(/^.*\) /, "").split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
