/**
 * The in-flight journal on a node (`<stagingDir>/inflight.json`): written
 * before a node is first disturbed and removed once it runs again, so that a
 * run interrupted in between (kill -9 of pulumi) leaves evidence the next
 * run acts on — and a node that is merely down, with no journal, is refused
 * instead of "recovered". Pure: the commands and the reading; ops.ts runs
 * them, probe.ts reads the file in its one command.
 */
import * as path from "path";
import type { NodeSpec, Phase } from "../core/types";
import { shellQuote } from "../transport/transport";

/** What the in-flight journal on a node records. */
export interface NodeJournal {
  readonly target: string;
  readonly from?: string;
  readonly phase: Phase;
  readonly at: string;
  /** "upgrade" or "rollback". */
  readonly direction: "upgrade" | "rollback";
}

export function journalPath(node: Pick<NodeSpec, "stagingDir">): string {
  return path.posix.join(node.stagingDir, "inflight.json");
}

/** Writes stdin to the journal through a temporary file and a rename: never half-written. */
export function writeJournalScript(node: Pick<NodeSpec, "stagingDir">): string {
  const file = shellQuote(journalPath(node));
  return `mkdir -p ${shellQuote(node.stagingDir)} && cat > ${file}.tmp && mv -f ${file}.tmp ${file}`;
}

/** Prints the journal; exit 3 when there is none. */
export function readJournalScript(node: Pick<NodeSpec, "stagingDir">): string {
  const file = shellQuote(journalPath(node));
  return `[ -f ${file} ] || exit 3; cat ${file}`;
}

/** The journal from its text; undefined when it is not one. */
export function parseJournal(text: string): NodeJournal | undefined {
  try {
    const j = JSON.parse(text) as Partial<NodeJournal>;
    return typeof j.target === "string" && typeof j.phase === "string" ? (j as NodeJournal) : undefined;
  } catch {
    return undefined;
  }
}
