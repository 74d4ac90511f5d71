/**
 * `sim inject`: puts state into a running cluster that the simulator does
 * not produce by itself, for tests and demonstrations: nodes stuck in
 * `decommissioning` membership (as after `cockroach node decommission
 * --wait=none` of a node that then stopped), invalid catalog objects
 * (`crdb_internal.invalid_objects` rows) and jobs (`crdb_internal.jobs`).
 * CockroachDB's reactions to them (refused finalization) are the fabric's.
 */
import { readClusterConfig } from "../common/cluster-files";
import { FabricClient } from "../fabric/client";
import { InjectRequest } from "../fabric/protocol";

export async function injectIntoCluster(dir: string, req: InjectRequest): Promise<void> {
  const fabric = await FabricClient.connect(readClusterConfig(dir).socket);
  try {
    await fabric.call("inject", req);
  } finally {
    fabric.close();
  }
}

/**
 * Parses the launcher's flags: `--decommissioning 4,5`,
 * `--invalid-object "db.schema.name=error text"` (id from the order given, from 1000),
 * `--job "TYPE|status|description"`, `--clear`.
 */
export function injectRequest(flags: { clear: boolean; decommissioning?: string; invalidObject?: string; job?: string }): InjectRequest {
  const decommissioning = flags.decommissioning
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const id = Number(s);
      if (!Number.isInteger(id) || id < 1) throw new Error(`--decommissioning takes node IDs, got ${JSON.stringify(s)}`);
      return id;
    });
  const invalidObjects = flags.invalidObject === undefined ? undefined : [parseInvalidObject(flags.invalidObject, 1000)];
  const jobs = flags.job === undefined ? undefined : [parseJob(flags.job, 1)];
  return { clear: flags.clear, decommissioning, invalidObjects, jobs };
}

function parseInvalidObject(text: string, id: number): NonNullable<InjectRequest["invalidObjects"]>[number] {
  const m = /^([^.=]+)\.([^.=]+)\.([^=]+)=(.+)$/.exec(text);
  if (!m) throw new Error(`--invalid-object takes "db.schema.name=error", got ${JSON.stringify(text)}`);
  return { id, databaseName: m[1], schemaName: m[2], objName: m[3], error: m[4] };
}

function parseJob(text: string, n: number): NonNullable<InjectRequest["jobs"]>[number] {
  const [jobType, status, description] = text.split("|");
  if (!jobType || !status) throw new Error(`--job takes "TYPE|status|description", got ${JSON.stringify(text)}`);
  return { jobId: 900000000000000000 + n, jobType, status, description: description ?? "" };
}
