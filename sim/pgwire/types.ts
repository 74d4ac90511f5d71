/**
 * Types shared by the pgwire server and the SQL engine behind it.
 *
 * Values that flow from the engine to the wire are plain JS values or small
 * value classes whose `toString()` is their PostgreSQL text form:
 *   null -> NULL, boolean -> t/f, bigint/number -> decimal digits,
 *   Buffer -> \x<hex>, Date -> "YYYY-MM-DD HH:MM:SS.ffffff[+00]",
 *   any object with its own toString (Decimal, SqlTimestamp, ...) -> toString(),
 *   other objects -> JSON.
 */

/** The SQL types the simulator speaks; each maps to one PostgreSQL type OID. */
export type SqlType =
  | "int8"
  | "text"
  | "bool"
  | "numeric"
  | "timestamp"
  | "timestamptz"
  | "jsonb"
  | "float8"
  | "bytea"
  | "interval"
  | "uuid"
  | "int8[]"
  | "text[]";

/** PostgreSQL type OIDs sent in RowDescription (the same ones CockroachDB sends). */
export const TYPE_OIDS: Readonly<Record<SqlType, number>> = {
  int8: 20,
  text: 25,
  bool: 16,
  numeric: 1700,
  timestamp: 1114,
  timestamptz: 1184,
  jsonb: 3802,
  float8: 701,
  bytea: 17,
  interval: 1186,
  uuid: 2950,
  "int8[]": 1016,
  "text[]": 1009,
};

/** One client connection's identity; the same object is passed for every statement of that connection. */
export interface PgSession {
  readonly user: string;
  readonly database: string;
  readonly applicationName?: string;
  /** The startup parameter `options` (e.g. "-ccluster=system"), as sent. */
  readonly options?: string;
  /** "host:port" of the client. */
  readonly remoteAddress: string;
}

export interface ResultColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface QueryResult {
  /** Command tag for CommandComplete: "SELECT", "INSERT", "SET CLUSTER SETTING", "BEGIN", ... */
  readonly command: string;
  /** Empty for statements that return no rows (the server then answers NoData). */
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly unknown[])[];
  /** Appended to the tag ("SELECT 3", "INSERT 0 3", "UPDATE 2") when set. */
  readonly rowCount?: number;
}

/** An error a client sees as an ErrorResponse with this SQLSTATE; never crashes the connection. */
export class SqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "SqlError";
  }
}

/**
 * Thrown when statement N of a multi-statement simple query fails: the
 * results of statements 1..N-1 still go to the client before the error, as
 * PostgreSQL and CockroachDB do.
 */
export class StatementBatchError extends Error {
  constructor(
    readonly completed: readonly QueryResult[],
    readonly cause: SqlError,
  ) {
    super(cause.message);
    this.name = "StatementBatchError";
  }
}

/** Brand-free guard that also works across duplicated module copies. */
export function isSqlError(e: unknown): e is SqlError {
  return e instanceof Error && e.name === "SqlError" && typeof (e as SqlError).code === "string";
}

/** Converts anything a handler threw into the SqlError the client will see. */
export function toSqlError(e: unknown): SqlError {
  if (isSqlError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SqlError("XX000", `internal error: ${message}`);
}
