/**
 * The cluster remembers, not the stack. A rollout's durable facts live in
 * the cluster itself, next to the upgrade lease (`crdb_upgrade.rollout`, one
 * row, id = 1):
 * - the finalization block this provider set (setting, the value it wrote)
 *   and the operator's original value (`previous`), so that any run —
 *   resumed after a kill -9, or started from another stack whose state never
 *   saw the block — restores exactly what the operator had;
 * - the target and the run's phase, for an operator reading the cluster
 *   (`SELECT * FROM crdb_upgrade.rollout`) and for the outputs.
 *
 * The stack state mirrors this row; when the two disagree the row wins. A
 * cluster without the table (nothing ever rolled by this provider version)
 * has no memory, and callers fall back to the state.
 *
 * Writes happen only under the lease (the block is set and lifted by the
 * run that holds it). Every statement is valid CockroachDB SQL.
 */
import type { ClusterReader } from "./reader";
import type { RolloutEvent } from "../core/events";
import type { FinalizationBlock } from "./finalization";

const SCHEMA = [
  "CREATE DATABASE IF NOT EXISTS crdb_upgrade",
  `CREATE TABLE IF NOT EXISTS crdb_upgrade.rollout (id INT8 PRIMARY KEY DEFAULT 1, setting STRING, previous STRING,
  value STRING, target STRING, phase STRING, updated_at TIMESTAMPTZ NOT NULL)`,
];
const READ = "SELECT setting, previous, value, target, phase, updated_at::STRING AS updated_at FROM crdb_upgrade.rollout WHERE id = 1";
const PUT_BLOCK = `INSERT INTO crdb_upgrade.rollout (id, setting, previous, value, updated_at) VALUES (1, $1, $2, $3, now())
ON CONFLICT (id) DO UPDATE SET setting = excluded.setting, previous = excluded.previous, value = excluded.value, updated_at = now()`;
const PUT_PROGRESS = `INSERT INTO crdb_upgrade.rollout (id, target, phase, updated_at) VALUES (1, $1, $2, now())
ON CONFLICT (id) DO UPDATE SET target = excluded.target, phase = excluded.phase, updated_at = now()`;
const CLEAR_BLOCK = "UPDATE crdb_upgrade.rollout SET setting = NULL, previous = NULL, value = NULL, updated_at = now() WHERE id = 1";

/** What the cluster remembers of the last rollout. */
export interface RolloutMemory {
  /** The block in effect, set by a run of this provider; undefined when none is (lifted or never set). */
  readonly block?: FinalizationBlock;
  readonly target?: string;
  readonly phase?: string;
  readonly updatedAt?: string;
}

/** Pure: a row as read -> the memory. A row with a partial block (written by hand) has no block. */
export function memoryFromRow(row: Record<string, unknown> | undefined): RolloutMemory | undefined {
  if (row === undefined) return undefined;
  const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
  const [setting, previous, value] = [text(row.setting), text(row.previous), text(row.value)];
  const block = setting !== undefined && previous !== undefined && value !== undefined ? { setting, previous, value } : undefined;
  const target = text(row.target);
  const phase = text(row.phase);
  const updatedAt = text(row.updated_at);
  return { ...(block && { block }), ...(target && { target }), ...(phase && { phase }), ...(updatedAt && { updatedAt }) };
}

/** A missing schema or table: the cluster never had a memory (not an error). */
function isUndefinedRelation(e: unknown): boolean {
  return /(relation|database) "?crdb_upgrade(\.rollout)?"? does not exist/.test(String((e as Error)?.message ?? e));
}

/**
 * What the cluster remembers. `{}` when the row is absent (nothing remembered),
 * undefined when the table does not exist. Other errors are thrown: a
 * transient error must not be taken for "no block", which would lose the
 * operator's original value.
 */
export async function recallRollout(reader: ClusterReader): Promise<RolloutMemory | undefined> {
  try {
    return memoryFromRow((await reader.rows(READ))[0]) ?? {};
  } catch (e) {
    if (isUndefinedRelation(e)) return undefined;
    throw e;
  }
}

async function ensureSchema(reader: ClusterReader): Promise<void> {
  for (const stmt of SCHEMA) await reader.rows(stmt);
}

/** Records the block just set (with the operator's original value) before anything else happens. */
export async function rememberBlock(reader: ClusterReader, block: FinalizationBlock): Promise<void> {
  await ensureSchema(reader);
  await reader.rows(PUT_BLOCK, [block.setting, block.previous, block.value]);
}

/** The block was lifted: the operator's value is back, nothing is left to restore. */
export async function forgetBlock(reader: ClusterReader): Promise<void> {
  try {
    await reader.rows(CLEAR_BLOCK);
  } catch (e) {
    if (!isUndefinedRelation(e)) throw e;
  }
}

/** The run's target and phase (best effort for the caller: the block facts above are what recovery needs). */
export async function rememberProgress(
  reader: ClusterReader,
  p: { readonly target: string; readonly phase: string },
  schemaKnown = false,
): Promise<void> {
  if (!schemaKnown) await ensureSchema(reader);
  await reader.rows(PUT_PROGRESS, [p.target, p.phase]);
}

/**
 * The block a run starts from: the cluster's memory when it has one (its
 * row, even with no block, is the truth), else the one the stack state
 * recorded (clusters rolled before the memory existed).
 */
export function startingBlock(memory: RolloutMemory | undefined, fromState: FinalizationBlock | undefined): FinalizationBlock | undefined {
  return memory === undefined ? fromState : memory.block;
}

/**
 * Mirrors a run's progress into the cluster's memory as its events go by:
 * the target and the phase in hand. Writes start with the run's "start"
 * event (emitted under the lease), are serialized, and never fail the run.
 */
export class ProgressMirror {
  private started = false;
  private schemaKnown = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly reader: ClusterReader,
    private readonly target: string,
  ) {}

  readonly observe = (e: RolloutEvent): void => {
    if (e.type === "start") this.started = true;
    if (!this.started) return;
    const phase = phaseOf(e);
    if (phase === undefined) return;
    this.chain = this.chain.then(() =>
      rememberProgress(this.reader, { target: this.target, phase }, this.schemaKnown).then(
        () => void (this.schemaKnown = true),
        () => undefined,
      ),
    );
  };

  /** Waits for the writes queued so far. */
  flush(): Promise<void> {
    return this.chain;
  }
}

function phaseOf(e: RolloutEvent): string | undefined {
  if (e.type === "start") return `started (${e.kind} ${e.from} -> ${e.to})`;
  if (e.type === "phase-start") return `${e.phase}${e.at ? ` ${e.at.node}` : ""}`;
  if (e.type === "rollback-start") return "rollback";
  if (e.type === "done") return `done: ${e.outcome}`;
  return undefined;
}
