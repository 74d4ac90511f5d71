/**
 * Turns rollout events into log lines. A dynamic provider has no progress
 * API: its stdout becomes info diagnostics in `pulumi up`, so prefixed,
 * timestamped lines are the channel:
 *
 *   [crdb-upgrade prod] 12:00:01 n2 drain ... (node 2/3, ETA 4m10s)
 *
 * The ETA starts from the plan's estimate; after the canary the run
 * re-estimates the rest from what the canary measured (an "estimate" event,
 * printed with the finish time) and the ETA counts down from that.
 *
 * The engine prints every line twice (live, then in the diagnostics
 * summary), so the default, compact, mode prints one line per node (with its
 * phase times), one per gate state change, and the run's milestones; the
 * plan itself is shown by diff, not repeated. `CRDB_UPGRADE_PROGRESS=verbose`
 * prints every phase and every gate sample. The full detail is always in
 * the `lastRollout` output.
 *
 * Every line goes through redact() (URLs, SQL, command output may carry
 * credentials); lifecycle.ts adds the inputs' literal secrets on top.
 */
import { formatDuration } from "../core/duration";
import type { NodePosition, RolloutEvent } from "../core/events";
import { redact } from "../core/redact";

export type LineSink = (line: string) => void;

export type ProgressMode = "compact" | "verbose";

/** The mode the environment asks for: `CRDB_UPGRADE_PROGRESS=verbose`, else compact. */
export function progressModeFromEnv(env: NodeJS.ProcessEnv = process.env): ProgressMode {
  return env.CRDB_UPGRADE_PROGRESS === "verbose" ? "verbose" : "compact";
}

/** Phases whose success the next line makes plain: compact mode does not print their "done". */
const IMPLIED_BY_NEXT: ReadonlySet<string> = new Set(["preflight", "hooks", "await-cluster"]);

/** A waiting gate says so again after this long without a change, so a long wait is never silent. */
const GATE_REMINDER_MS = 60_000;

export class ProgressPrinter {
  private startedAt = Date.now();
  private estimatedMs = 0;
  private total = 0;
  private done = 0;
  private lastDoneAt = Date.now();
  /** The re-estimate after the canary: the remaining time and when it was made. */
  private rebased: { remainingMs: number; at: number } | undefined;
  /** Compact mode: per node, the phases finished so far ("drain 0.5s"). */
  private readonly phaseTimes = new Map<string, string[]>();
  /** Compact mode: per gate (phase + node), the last state shown and when. */
  private readonly gateShown = new Map<string, { ok: boolean; at: number }>();

  constructor(
    private readonly label: string,
    private readonly sink: LineSink = (l) => console.log(l),
    private readonly now: () => Date = () => new Date(),
    private readonly mode: ProgressMode = progressModeFromEnv(),
  ) {}

  /** An Emit: pass `printer.handle` wherever events are emitted. */
  readonly handle = (e: RolloutEvent): void => {
    for (const line of this.format(e)) this.sink(redact(`[crdb-upgrade ${this.label}] ${clock(this.now())} ${line}`));
  };

  /** Plain lines without an event (e.g. the plan shown by diff). */
  print(lines: readonly string[]): void {
    for (const l of lines) this.sink(redact(`[crdb-upgrade ${this.label}] ${clock(this.now())} ${l}`));
  }

  format(e: RolloutEvent): string[] {
    return this.mode === "verbose" ? this.formatVerbose(e) : this.formatCompact(e);
  }

  private formatCompact(e: RolloutEvent): string[] {
    switch (e.type) {
      case "start":
        this.formatVerbose(e); // for its bookkeeping (start time, estimate, node count)
        if (e.nodes === 0) return [`${e.to}: nothing to roll (${e.kind})`];
        return [`${e.from} -> ${e.to} (${e.kind}): rolling ${e.nodes} node(s), estimated ${formatDuration(e.estimatedMs)}`];
      case "phase-start":
        return this.nodeAnnounced(e.at) ? [] : [`${e.at?.node} ${e.phase} ...${this.where(e.at)}`];
      case "phase-end":
        if (!e.ok) return this.formatVerbose(e);
        if (e.at) {
          this.phaseTimes.get(e.at.node)?.push(`${e.phase} ${formatDuration(e.durationMs)}`);
          return [];
        }
        // What follows a passed pre-flight or hook shows it passed; a failure is always printed.
        return IMPLIED_BY_NEXT.has(e.phase) ? [] : this.formatVerbose(e);
      case "gate-sample":
        return this.gateChange(e);
      case "node-done": {
        const phases = this.phaseTimes.get(e.at.node) ?? [];
        const [line] = this.formatVerbose(e);
        return [phases.length > 0 ? `${line}: ${phases.join(", ")}` : line];
      }
      default:
        return this.formatVerbose(e);
    }
  }

  /** True when the line is not a node's first phase (a node is announced once; its phases show in its summary line). */
  private nodeAnnounced(at?: NodePosition): boolean {
    if (!at || this.phaseTimes.has(at.node)) return true;
    this.phaseTimes.set(at.node, []);
    return false;
  }

  /** A gate's sample is shown when its verdict changes, or as a reminder while it keeps waiting. */
  private gateChange(e: Extract<RolloutEvent, { type: "gate-sample" }>): string[] {
    // One gate per node (its await-cluster and its bake are the same gate held on); the cluster's own otherwise.
    const key = e.at?.node ?? e.phase;
    const last = this.gateShown.get(key);
    const now = Date.now();
    const changed = !last || last.ok !== e.sample.ok;
    const remind = !e.sample.ok && last !== undefined && now - last.at >= GATE_REMINDER_MS;
    if (!changed && !remind) return [];
    this.gateShown.set(key, { ok: e.sample.ok, at: now });
    const verdict = e.sample.ok ? "gate ok" : "gate not yet";
    return [`${who(e.at)}${verdict}${remind ? " (still)" : ""}: ${e.sample.detail}`];
  }

  private formatVerbose(e: RolloutEvent): string[] {
    switch (e.type) {
      case "start":
        this.startedAt = Date.now();
        this.lastDoneAt = this.startedAt;
        this.estimatedMs = e.estimatedMs;
        this.total = e.nodes;
        return e.nodes === 0 ? [`${e.to}: nothing to roll (${e.kind})`] : [...e.lines];
      case "phase-start":
        return [`${who(e.at)}${e.phase} ...${this.where(e.at)}`];
      case "phase-end":
        return e.ok
          ? [`${who(e.at)}${e.phase} done in ${formatDuration(e.durationMs)}`]
          : [`${who(e.at)}${e.phase} FAILED after ${formatDuration(e.durationMs)}: ${firstLine(e.detail)}`];
      case "gate-sample":
        return [`${who(e.at)}gate ${e.sample.ok ? "ok" : "not yet"}: ${e.sample.detail}`];
      case "node-done":
        this.done += 1;
        this.lastDoneAt = Date.now();
        return [`${e.at.node} ${e.outcome} (node ${e.at.index}/${e.at.total}, ${formatDuration(e.durationMs)})`];
      case "note":
        return [`${e.node ? `${e.node} ` : ""}${e.message}`];
      case "estimate":
        return [this.reestimated(e)];
      case "rollback-start":
        return [`ROLLBACK of ${e.nodes.join(", ") || "no node"}: ${firstLine(e.cause)}`];
      case "rollback-end":
        return [e.ok ? `rollback complete: ${e.detail ?? ""}` : `ROLLBACK FAILED: ${firstLine(e.detail)}`];
      case "done":
        return [`${e.outcome} in ${formatDuration(e.durationMs)}${e.error ? `: ${firstLine(e.error)}` : ""}`];
    }
  }

  private where(at?: NodePosition): string {
    if (!at || at.total === 0) return "";
    return ` (node ${at.index}/${at.total}, ETA ${formatDuration(Math.round(this.etaMs() / 1000) * 1000)})`;
  }

  /** The line of the re-estimate after the canary, with the finish time; the ETA follows it from now on. */
  private reestimated(e: Extract<RolloutEvent, { type: "estimate" }>): string {
    this.rebased = { remainingMs: e.remainingMs, at: Date.now() };
    const finish = clock(new Date(this.now().getTime() + e.remainingMs));
    return (
      `re-estimate after the canary (${e.nodes.join(", ")}): drain + restart ${formatDuration(e.restartMs)}, ` +
      `catch-up + gate ${formatDuration(e.gateMs)} measured; ${e.nodesLeft} node(s) left: ~${formatDuration(roundS(e.remainingMs))} more, ` +
      `finish ~${finish} (plan said ${formatDuration(roundS(e.plannedMs))} in all)`
    );
  }

  /** Remaining time: the plan's estimate, then the re-estimate after the canary, else the measured time per node. */
  etaMs(): number {
    const now = Date.now();
    if (this.rebased) return Math.max(0, this.rebased.remainingMs - (now - this.rebased.at));
    if (this.done === 0) return Math.max(0, this.estimatedMs - (now - this.startedAt));
    const perNode = (this.lastDoneAt - this.startedAt) / this.done;
    return Math.max(0, perNode * (this.total - this.done) - (now - this.lastDoneAt));
  }
}

const roundS = (ms: number): number => Math.round(ms / 1000) * 1000;

function who(at?: NodePosition): string {
  return at ? `${at.node} ` : "";
}

function firstLine(s?: string): string {
  return (s ?? "").split("\n")[0];
}

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}
