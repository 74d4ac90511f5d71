/**
 * Pure: rollout events -> the short status lines the engine shows beside the
 * resource while it waits (ephemeral), and the closing line of a cancelled
 * update (what was done, what remains). Events hold no secrets (events.ts);
 * gate details still pass through redact() with the inputs' literal secrets.
 */
import type { RolloutEvent } from "../provider/core/events";
import type { NodeStatus } from "../provider/core/types";
import { redact } from "../provider/core/redact";

/** The ephemeral line for an event, or undefined when the event changes nothing shown. */
export function statusLine(e: RolloutEvent, secrets: readonly string[] = []): string | undefined {
  switch (e.type) {
    case "phase-start":
      return e.at ? `${e.at.node} ${e.phase} (node ${e.at.index}/${e.at.total})` : `${e.phase}`;
    case "gate-sample": {
      const who = e.at?.node ? `${e.at.node} ${e.phase}` : e.phase;
      return redact(`${who}: ${e.sample.ok ? "gate holds" : "waiting for the gate"}: ${e.sample.detail}`, secrets);
    }
    case "rollback-start":
      return `rolling back ${e.nodes.join(", ")}`;
    case "node-done":
      return `${e.at.node} ${e.outcome} (node ${e.at.index}/${e.at.total})`;
    default:
      return undefined;
  }
}

/**
 * After a Cancel: which nodes run the target (done) and which do not
 * (remain), from the outputs the failed update reports.
 */
export function cancelSummary(target: string, statuses: readonly NodeStatus[]): string {
  const done = statuses.filter((s) => s.version === target).map((s) => s.name);
  const remain = statuses.filter((s) => s.version !== target).map((s) => `${s.name} (${s.version ?? "unknown"}, ${s.state})`);
  const parts = [`cancelled (the engine's Cancel) at a node boundary: ${done.length > 0 ? done.join(", ") : "no node"} on ${target}`];
  parts.push(remain.length > 0 ? `remaining: ${remain.join(", ")}; run \`pulumi up\` again to resume` : "no node remains");
  return parts.join("; ");
}
