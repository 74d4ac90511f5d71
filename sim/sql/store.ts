/**
 * Storage for user tables, behind an interface so that the simulated
 * cluster can share one store between node processes.
 *
 * A statement runs as one `transact(work)` call: `work` is synchronous and
 * sees a consistent snapshot; its writes commit atomically when it returns
 * and are discarded when it throws. Concurrent transactions are serialised.
 *
 * Rows are stored encoded (JSON-safe cells, see `encodeCell`) under a
 * primary-key string the engine computes, so any implementation can persist
 * them as JSON.
 */
import { SqlType } from "../pgwire/types";
import { Decimal } from "./decimal";
import { Interval, JsonValue, SqlValue, normalizeValue } from "./values";
import { SqlArray } from "./arrays";

export type StoredCell = null | boolean | number | string;
export type StoredRow = readonly StoredCell[];

export interface StoredColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  /** SQL text of the DEFAULT expression, evaluated at insert time. */
  readonly defaultSql?: string;
  /** The implicit `rowid` of tables without a primary key. */
  readonly hidden?: boolean;
}

export interface TableSchema {
  readonly database: string;
  readonly name: string;
  readonly columns: readonly StoredColumn[];
  /** Primary-key column names (never empty: tables without one get a hidden rowid). */
  readonly primaryKey: readonly string[];
}

/** What a transaction can do; every method is synchronous. */
export interface StoreTx {
  listDatabases(): string[];
  createDatabase(name: string): void;
  dropDatabase(name: string): void;
  listTables(database: string): TableSchema[];
  getTable(database: string, name: string): TableSchema | undefined;
  createTable(schema: TableSchema): void;
  dropTable(database: string, name: string): void;
  /** All rows, in no particular order. */
  scan(database: string, table: string): StoredRow[];
  get(database: string, table: string, key: string): StoredRow | undefined;
  put(database: string, table: string, key: string, row: StoredRow): void;
  delete(database: string, table: string, key: string): void;
}

export interface TableStore {
  transact<T>(work: (tx: StoreTx) => T): Promise<T>;
}

/** The JSON shape of a whole store (what the file store persists). */
export interface StoreState {
  databases: Record<string, Record<string, { schema: TableSchema; rows: Record<string, StoredRow> }>>;
}

/** CockroachDB's databases on a fresh cluster. */
export function initialState(): StoreState {
  return { databases: { defaultdb: {}, postgres: {} } };
}

/**
 * A transaction over a StoreState, mutating it in place and keeping an undo
 * log so that a failed statement leaves no trace.
 */
export class StateTx implements StoreTx {
  private readonly undo: (() => void)[] = [];
  dirty = false;

  constructor(private readonly state: StoreState) {}

  private db(name: string): Record<string, { schema: TableSchema; rows: Record<string, StoredRow> }> {
    const db = this.state.databases[name];
    if (db === undefined) throw new Error(`database ${name} does not exist`);
    return db;
  }

  private rows(database: string, table: string): Record<string, StoredRow> {
    const t = this.db(database)[table];
    if (t === undefined) throw new Error(`table ${database}.${table} does not exist`);
    return t.rows;
  }

  private record(fn: () => void): void {
    this.undo.push(fn);
    this.dirty = true;
  }

  listDatabases(): string[] {
    return Object.keys(this.state.databases);
  }

  createDatabase(name: string): void {
    this.state.databases[name] = {};
    this.record(() => delete this.state.databases[name]);
  }

  dropDatabase(name: string): void {
    const old = this.state.databases[name];
    delete this.state.databases[name];
    this.record(() => (this.state.databases[name] = old));
  }

  listTables(database: string): TableSchema[] {
    return Object.values(this.state.databases[database] ?? {}).map((t) => t.schema);
  }

  getTable(database: string, name: string): TableSchema | undefined {
    return this.state.databases[database]?.[name]?.schema;
  }

  createTable(schema: TableSchema): void {
    const db = this.db(schema.database);
    db[schema.name] = { schema, rows: {} };
    this.record(() => delete db[schema.name]);
  }

  dropTable(database: string, name: string): void {
    const db = this.db(database);
    const old = db[name];
    delete db[name];
    this.record(() => (db[name] = old));
  }

  scan(database: string, table: string): StoredRow[] {
    return Object.values(this.rows(database, table));
  }

  get(database: string, table: string, key: string): StoredRow | undefined {
    const rows = this.rows(database, table);
    return Object.prototype.hasOwnProperty.call(rows, key) ? rows[key] : undefined;
  }

  put(database: string, table: string, key: string, row: StoredRow): void {
    const rows = this.rows(database, table);
    const had = Object.prototype.hasOwnProperty.call(rows, key);
    const old = rows[key];
    rows[key] = row;
    this.record(() => (had ? (rows[key] = old) : delete rows[key]));
  }

  delete(database: string, table: string, key: string): void {
    const rows = this.rows(database, table);
    if (!Object.prototype.hasOwnProperty.call(rows, key)) return;
    const old = rows[key];
    delete rows[key];
    this.record(() => (rows[key] = old));
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]();
    this.undo.length = 0;
  }
}

/** Serialises async critical sections in one process. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** A store living in this process's memory. */
export class MemoryTableStore implements TableStore {
  private readonly state: StoreState = initialState();
  private readonly mutex = new Mutex();

  transact<T>(work: (tx: StoreTx) => T): Promise<T> {
    return this.mutex.run(async () => {
      const tx = new StateTx(this.state);
      try {
        return work(tx);
      } catch (e) {
        tx.rollback();
        throw e;
      }
    });
  }
}

/** JSON-safe form of a value of `type`. */
export function encodeCell(v: SqlValue, type: SqlType): StoredCell {
  if (v === null) return null;
  switch (type) {
    case "int8":
    case "numeric":
    case "text":
    case "uuid":
      return String(v);
    case "float8":
      return Number.isFinite(v as number) ? (v as number) : String(v);
    case "bool":
      return v as boolean;
    case "timestamp":
    case "timestamptz":
      return (v as Date).getTime();
    case "jsonb":
      return JSON.stringify((v as JsonValue).value);
    case "interval":
      return (v as Interval).micros;
    case "bytea":
      return (v as Buffer).toString("hex");
    case "int8[]":
    case "text[]":
      return JSON.stringify((v as SqlArray).elements.map((e) => (e === null ? null : String(e))));
  }
}

export function decodeCell(c: StoredCell, type: SqlType): SqlValue {
  if (c === null) return null;
  switch (type) {
    case "int8":
      return BigInt(c as string);
    case "numeric":
      return Decimal.parse(c as string) ?? null;
    case "text":
    case "uuid":
      return c as string;
    case "float8":
      return Number(c);
    case "bool":
      return c as boolean;
    case "timestamp":
    case "timestamptz":
      return new Date(c as number);
    case "jsonb":
      return new JsonValue(JSON.parse(c as string));
    case "interval":
      return new Interval(c as number);
    case "bytea":
      return Buffer.from(c as string, "hex");
    case "int8[]":
    case "text[]":
      return normalizeValue(JSON.parse(c as string) as unknown[], type);
  }
}
