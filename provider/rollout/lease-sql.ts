/**
 * The lease's SQL: the table, and each statement conditional on the token
 * (lease.ts says why). Every statement is valid CockroachDB SQL.
 */
import type { ClusterReader } from "../cluster/reader";
import type { AcquireStep, LeaseRow } from "./lease-rules";

export const SCHEMA = [
  "CREATE DATABASE IF NOT EXISTS crdb_upgrade",
  `CREATE TABLE IF NOT EXISTS crdb_upgrade.lease (id INT8 PRIMARY KEY DEFAULT 1, holder STRING NOT NULL, token INT8 NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL, target STRING)`,
];
/** The cluster clock in µs: above any token a row removed by hand had, so a stale holder can never match. */
const NEW_TOKEN = "(now()::DECIMAL * 1000000)::INT8";
const READ = `SELECT holder, token::STRING AS token, expires_at::STRING AS expires_at, expires_at < now() AS expired
FROM crdb_upgrade.lease WHERE id = 1`;
const INSERT = `INSERT INTO crdb_upgrade.lease (id, holder, token, acquired_at, expires_at, target)
VALUES (1, $1, ${NEW_TOKEN}, now(), now() + $2::INTERVAL, $3) ON CONFLICT (id) DO NOTHING RETURNING token::STRING AS token`;
const TAKE_OVER = `UPDATE crdb_upgrade.lease SET holder = $2, token = greatest(token + 1, ${NEW_TOKEN}), acquired_at = now(),
  expires_at = now() + $3::INTERVAL, target = $4 WHERE id = 1 AND token = $1::INT8`;
const RETURNING_TOKEN = " RETURNING token::STRING AS token";
export const RENEW =
  "UPDATE crdb_upgrade.lease SET expires_at = now() + $2::INTERVAL WHERE id = 1 AND token = $1::INT8 RETURNING token::STRING AS token";
export const RELEASE = "DELETE FROM crdb_upgrade.lease WHERE id = 1 AND token = $1::INT8 RETURNING token::STRING AS token";

export async function readRow(reader: ClusterReader): Promise<LeaseRow | undefined> {
  const r = (await reader.rows(READ))[0];
  if (r === undefined) return undefined;
  return {
    holder: String(r.holder),
    token: String(r.token),
    expiresAt: String(r.expires_at),
    expired: r.expired === true || r.expired === "t",
  };
}

/** Performs the step; the new token, or undefined when the row changed since it was read. */
export async function write(
  reader: ClusterReader,
  step: AcquireStep,
  w: { holder: string; ttlMs: number; target: string },
): Promise<string | undefined> {
  const ttl = interval(w.ttlMs);
  const rows =
    step.kind === "insert"
      ? await reader.rows(INSERT, [w.holder, ttl, w.target])
      : step.kind === "take-over"
        ? await reader.rows(TAKE_OVER + (step.requireExpired ? " AND expires_at < now()" : "") + RETURNING_TOKEN, [
            step.token,
            w.holder,
            ttl,
            w.target,
          ])
        : step.kind === "mine"
          ? await reader.rows(RENEW, [step.token, ttl])
          : [];
  const token = rows[0]?.token;
  return token === undefined ? undefined : String(token);
}

export function interval(ms: number): string {
  return `${Math.round(ms)} milliseconds`;
}
