/**
 * The simple query protocol ('Q'), the transaction status byte, and the
 * helpers that turn QueryResults into RowDescription/DataRow/CommandComplete.
 */
import { commandComplete, dataRow, emptyMessage, errorResponse, readyForQuery, rowDescription } from "./messages";
import { toPgText } from "./text-format";
import { PgSession, QueryResult, ResultColumn, SqlError, StatementBatchError, TYPE_OIDS, toSqlError } from "./types";

export type ExecuteFn = (sql: string, params: readonly unknown[], session: PgSession) => Promise<QueryResult[]>;

/** What a protocol handler needs from its connection. */
export interface ProtocolIo {
  write(b: Buffer): void;
  readonly execute: ExecuteFn;
  readonly session: PgSession;
  readonly tx: TxTracker;
}

/**
 * Tracks the ReadyForQuery status byte: I (idle), T (in a transaction),
 * E (failed transaction: everything but COMMIT/ROLLBACK is refused).
 */
export class TxTracker {
  status: "I" | "T" | "E" = "I";

  observe(result: QueryResult): void {
    const cmd = result.command.toUpperCase();
    if (cmd === "BEGIN" || cmd === "START TRANSACTION") this.status = "T";
    else if (cmd === "COMMIT" || cmd === "ROLLBACK") this.status = "I";
  }

  onError(): void {
    if (this.status === "T") this.status = "E";
  }

  /**
   * In a failed transaction, answers COMMIT/ROLLBACK locally (both end it, as
   * ROLLBACK) and refuses anything else with 25P02. Returns undefined when
   * the statement should run normally.
   */
  interceptAborted(sql: string): QueryResult | undefined {
    if (this.status !== "E") return undefined;
    const head = sql.trim().toLowerCase();
    if (/^rollback\s+to\b/.test(head)) return undefined;
    if (/^(commit|end|rollback|abort)\b/.test(head)) {
      this.status = "I";
      return { command: "ROLLBACK", columns: [], rows: [] };
    }
    throw new SqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block");
  }
}

export function commandTag(r: QueryResult): string {
  if (r.command === "INSERT") return `INSERT 0 ${r.rowCount ?? r.rows.length}`;
  return r.rowCount === undefined ? r.command : `${r.command} ${r.rowCount}`;
}

export function describeColumns(columns: readonly ResultColumn[]): Buffer {
  return rowDescription(columns.map((c) => ({ name: c.name, typeOid: TYPE_OIDS[c.type] ?? 25 })));
}

export function encodeRow(row: readonly unknown[], columns: readonly ResultColumn[]): Buffer {
  return dataRow(columns.map((c, i) => toPgText(row[i], c.type)));
}

export function sendError(io: ProtocolIo, err: SqlError): void {
  io.write(errorResponse({ severity: "ERROR", code: err.code, message: err.message, detail: err.detail, hint: err.hint }));
}

export function isBlankQuery(sql: string): boolean {
  return sql.replace(/--[^\n]*/g, "").replace(/[\s;]/g, "") === "";
}

export class SimpleQueryProtocol {
  constructor(private readonly io: ProtocolIo) {}

  async run(sql: string): Promise<void> {
    const io = this.io;
    if (isBlankQuery(sql)) {
      io.write(emptyMessage("I"));
      io.write(readyForQuery(io.tx.status));
      return;
    }
    try {
      const intercepted = io.tx.interceptAborted(sql);
      const results = intercepted ? [intercepted] : await io.execute(sql, [], io.session);
      for (const r of results) this.sendResult(r);
    } catch (e) {
      if (e instanceof StatementBatchError) for (const r of e.completed) this.sendResult(r);
      sendError(io, e instanceof StatementBatchError ? e.cause : toSqlError(e));
      io.tx.onError();
    }
    io.write(readyForQuery(io.tx.status));
  }

  private sendResult(r: QueryResult): void {
    if (r.columns.length > 0) this.io.write(describeColumns(r.columns));
    for (const row of r.rows) this.io.write(encodeRow(row, r.columns));
    this.io.write(commandComplete(commandTag(r)));
    this.io.tx.observe(r);
  }
}
