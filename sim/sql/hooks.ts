/**
 * What the SQL engine needs from the simulated cluster. The cluster model
 * implements this; the engine never reaches into it otherwise.
 */
import { PgSession, QueryResult, ResultColumn, SqlType } from "../pgwire/types";
import type { InternalsGuard } from "./unsafe-internals";

/**
 * A read-only table computed by the cluster (crdb_internal.gossip_nodes, ...).
 * Row cells may be loose: numbers for INT, strings or objects for JSONB,
 * Dates or ISO strings for TIMESTAMP; the engine normalises them by column type.
 */
export interface VirtualTable {
  readonly columns: readonly ResultColumn[];
  rows(): Promise<readonly (readonly unknown[])[]>;
}

export interface ActiveVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly internal: number;
}

export interface SettingInfo {
  readonly name: string;
  readonly value: string;
  readonly type: string;
  readonly description: string;
}

export interface ClusterHooks {
  /** "crdb_internal.gossip_nodes", "system.settings", ...; undefined if there is no such table. */
  virtualTable(qualifiedName: string): VirtualTable | undefined;
  /**
   * Current value of a cluster setting. Throw `unknownSettingForShow(name)`
   * (from sim/sql/errors) for names the cluster does not know.
   */
  showSetting(name: string): Promise<{ readonly type: SqlType; readonly value: unknown }>;
  /**
   * SET CLUSTER SETTING (value = the evaluated expression: string, bigint,
   * boolean, ...) or RESET (null). Throw SqlError with CockroachDB's
   * validation messages; `unknownSettingForSet(name)` for unknown names.
   */
  setSetting(name: string, value: unknown): Promise<void>;
  /** For SHOW CLUSTER SETTINGS. */
  listSettings?(): Promise<readonly SettingInfo[]>;
  /** The binary's version, "23.1". */
  nodeExecutableVersion(): string;
  /** The cluster version for crdb_internal.active_version(). */
  activeVersion(): Promise<ActiveVersion>;
  /** The binary's build tag for version() ("v23.1.11"). Defaults to v<nodeExecutableVersion>.0. */
  buildTag?(): string;
  /** BACKUP statements, verbatim. Without it BACKUP fails as unimplemented. */
  backup?(stmt: string): Promise<QueryResult>;
  /** The (controllable) clock: now(), current_timestamp. */
  now(): Date;
  /** This node's id, the low bits of unique_rowid(). Defaults to 1. */
  nodeId?(): number;
  /** CREATE USER/ROLE; `password` undefined = no PASSWORD option, null = PASSWORD NULL. Without it: unimplemented. */
  createUser?(name: string, ifNotExists: boolean, password: string | null | undefined): Promise<void>;
  alterUser?(name: string, ifExists: boolean, password: string | null | undefined): Promise<void>;
  dropUsers?(names: readonly string[], ifExists: boolean): Promise<void>;
  /** The v26.1 guard on crdb_internal/system and its session variable (./unsafe-internals.ts); absent: no guard, no variable. */
  internalsGuard?(): InternalsGuard;
  /**
   * The virtual cluster a new session lands in (./virtual-cluster.ts):
   * "system" or an application virtual cluster's name; undefined when the
   * version has no virtual clusters. Asked once per session.
   */
  sessionCluster?(session: PgSession): Promise<string | undefined>;
  /** A privilege refusal for `user` reading the virtual table (./table-privileges.ts); undefined when allowed. */
  tableAccessRefusal?(qualifiedName: string, user: string): Error | undefined;
  /** SHOW USERS. */
  listUsers?(): Promise<readonly { readonly username: string; readonly hasPassword: boolean }[]>;
}
