/**
 * Turns rollout events into log lines. A dynamic provider has no progress
 * API: its stdout becomes info diagnostics in `pulumi up`, so prefixed,
 * timestamped lines are the channel:
 *
 *   [crdb-upgrade prod] 12:00:01 n2 drain ... (node 2/3, ETA 4m10s)
 *
 * The ETA starts from the plan's estimate and, once a node has finished,
 * follows the measured time per node.
 *
 * Every line goes through redact() (URLs, SQL, command output may carry
 * credentials); lifecycle.ts adds the inputs' literal secrets on top.
 */
import { formatDuration } from "./duration";
import type { NodePosition, RolloutEvent } from "./events";
import { redact } from "./redact";

export type LineSink = (line: string) => void;

export class ProgressPrinter {
  private startedAt = Date.now();
  private estimatedMs = 0;
  private total = 0;
  private done = 0;
  private lastDoneAt = Date.now();

  constructor(
    private readonly label: string,
    private readonly sink: LineSink = (l) => console.log(l),
    private readonly now: () => Date = () => new Date(),
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

  /** Remaining time: the plan's estimate until a node finished, then the measured pace. */
  etaMs(): number {
    const now = Date.now();
    if (this.done === 0) return Math.max(0, this.estimatedMs - (now - this.startedAt));
    const perNode = (this.lastDoneAt - this.startedAt) / this.done;
    return Math.max(0, perNode * (this.total - this.done) - (now - this.lastDoneAt));
  }
}

function who(at?: NodePosition): string {
  return at ? `${at.node} ` : "";
}

function firstLine(s?: string): string {
  return (s ?? "").split("\n")[0];
}

function clock(d: Date): string {
  return d.toTimeString().slice(0, 8);
}
