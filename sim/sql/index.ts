/** Public surface of the simulator's SQL engine; see engine.ts for usage. */
export { SqlEngine } from "./engine";
export { ClusterHooks, VirtualTable, ActiveVersion, SettingInfo } from "./hooks";
export { TableStore, StoreTx, TableSchema, StoredColumn, StoredRow, StoredCell, MemoryTableStore } from "./store";
export { JsonFileTableStore, FileStoreOptions } from "./file-store";
export { Decimal } from "./decimal";
export { Interval, JsonValue, SqlValue, normalizeValue } from "./values";
export * as sqlErrors from "./errors";
export { parseStatements } from "./parse-statement";
