/**
 * Columns of the crdb_internal virtual tables the simulator serves
 * (reference §2, CR `pkg/sql/crdb_internal.go`). The fabric produces rows in
 * this column order; the node hands them to the SQL engine with these types.
 * Timestamps travel as Unix milliseconds, JSON columns as plain objects,
 * BYTES as hex strings and arrays as JSON arrays.
 */
export type VColumnType = "int8" | "text" | "bool" | "timestamp" | "jsonb" | "float8" | "bytea" | "int8[]" | "text[]";

export interface VColumn {
  readonly name: string;
  readonly type: VColumnType;
}

const col = (name: string, type: VColumnType): VColumn => ({ name, type });

const RANGES_NO_LEASES: readonly VColumn[] = [
  col("range_id", "int8"),
  col("start_key", "bytea"),
  col("start_pretty", "text"),
  col("end_key", "bytea"),
  col("end_pretty", "text"),
  col("replicas", "int8[]"),
  col("replica_localities", "text[]"),
  col("voting_replicas", "int8[]"),
  col("non_voting_replicas", "int8[]"),
  col("learner_replicas", "int8[]"),
  col("split_enforced_until", "timestamp"),
];

export const VTABLE_SCHEMAS: Readonly<Record<string, readonly VColumn[]>> = {
  "crdb_internal.gossip_nodes": [
    col("node_id", "int8"),
    col("network", "text"),
    col("address", "text"),
    col("advertise_address", "text"),
    col("sql_network", "text"),
    col("sql_address", "text"),
    col("advertise_sql_address", "text"),
    col("attrs", "jsonb"),
    col("locality", "text"),
    col("cluster_name", "text"),
    col("server_version", "text"),
    col("build_tag", "text"),
    col("started_at", "timestamp"),
    col("is_live", "bool"),
    col("ranges", "int8"),
    col("leases", "int8"),
  ],
  "crdb_internal.gossip_liveness": [
    col("node_id", "int8"),
    col("epoch", "int8"),
    col("expiration", "text"),
    col("draining", "bool"),
    col("decommissioning", "bool"),
    col("membership", "text"),
    col("updated_at", "timestamp"),
  ],
  "crdb_internal.kv_node_liveness": [
    col("node_id", "int8"),
    col("epoch", "int8"),
    col("expiration", "text"),
    col("draining", "bool"),
    col("membership", "text"),
  ],
  "crdb_internal.kv_node_status": [
    col("node_id", "int8"),
    col("network", "text"),
    col("address", "text"),
    col("attrs", "jsonb"),
    col("locality", "text"),
    col("server_version", "text"),
    col("go_version", "text"),
    col("tag", "text"),
    col("time", "text"),
    col("revision", "text"),
    col("cgo_compiler", "text"),
    col("platform", "text"),
    col("distribution", "text"),
    col("type", "text"),
    col("dependencies", "text"),
    col("started_at", "timestamp"),
    col("updated_at", "timestamp"),
    col("metrics", "jsonb"),
    col("args", "jsonb"),
    col("env", "jsonb"),
    col("activity", "jsonb"),
  ],
  "crdb_internal.kv_store_status": [
    col("node_id", "int8"),
    col("store_id", "int8"),
    col("attrs", "jsonb"),
    col("capacity", "int8"),
    col("available", "int8"),
    col("used", "int8"),
    col("logical_bytes", "int8"),
    col("range_count", "int8"),
    col("lease_count", "int8"),
    col("writes_per_second", "float8"),
    col("bytes_per_replica", "jsonb"),
    col("writes_per_replica", "jsonb"),
    col("metrics", "jsonb"),
    col("properties", "jsonb"),
  ],
  // v23.1+ (CR pkg/sql/crdb_internal.go): every *replicas column holds store IDs.
  "crdb_internal.ranges_no_leases": RANGES_NO_LEASES,
  "crdb_internal.ranges": [...RANGES_NO_LEASES, col("lease_holder", "int8"), col("range_size", "int8")],
  "crdb_internal.node_runtime_info": [col("node_id", "int8"), col("component", "text"), col("field", "text"), col("value", "text")],
  // Descriptors that fail validation; the first upgrade of a release refuses while it has rows.
  "crdb_internal.invalid_objects": [
    col("id", "int8"),
    col("database_name", "text"),
    col("schema_name", "text"),
    col("obj_name", "text"),
    col("error", "text"),
  ],
  // The columns of crdb_internal.jobs up to coordinator_id (later ones are not served).
  "crdb_internal.jobs": [
    col("job_id", "int8"),
    col("job_type", "text"),
    col("description", "text"),
    col("statement", "text"),
    col("user_name", "text"),
    col("status", "text"),
    col("running_status", "text"),
    col("created", "timestamp"),
    col("started", "timestamp"),
    col("finished", "timestamp"),
    col("modified", "timestamp"),
    col("fraction_completed", "float8"),
    col("error", "text"),
    col("coordinator_id", "int8"),
  ],
};

export function isVirtualTable(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(VTABLE_SCHEMAS, name);
}

/** HLC form of a wall time in ms: `<secs>.<9-digit nanos>,<logical>` (#30516). */
export function hlcString(ms: number): string {
  const secs = Math.floor(ms / 1000);
  const nanos = Math.round((ms - secs * 1000) * 1_000_000);
  return `${secs}.${String(nanos).padStart(9, "0")},0`;
}
