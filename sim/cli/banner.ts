/** The startup banner `cockroach start` prints on stdout (DOCS v24.1 `node-shutdown.md`). */
import * as path from "path";
import { buildInfo, formatBuildTime } from "../common/versions";
import { NodeConfig, formatHostPort } from "../node/config";
import { StartResult } from "../node/runtime";

export function startBanner(cfg: NodeConfig, r: StartResult): string {
  const b = buildInfo(cfg.binaryTag);
  const sql = formatHostPort(cfg.sql);
  const now = new Date();
  const stamp = now
    .toISOString()
    .replace("T", " ")
    .replace("Z", "")
    .replace(/(\.\d{3})$/, "$1000");
  const lines: [string, string][] = [
    ["build:", `${b.distribution} ${b.tag} @ ${formatBuildTime(b.buildTimestamp)} (${b.goVersion})`],
    ["webui:", `http://${formatHostPort(cfg.http)}`],
    ["sql:", `postgresql://root@${sql}/defaultdb?sslmode=disable`],
    ["sql (JDBC):", `jdbc:postgresql://${sql}/defaultdb?sslmode=disable&user=root`],
    ["RPC client flags:", `${process.env.CRDB_SIM_ARGV0 ?? "cockroach"} <client cmd> --host=${formatHostPort(cfg.advertise)} --insecure`],
    ["logs:", cfg.logDir],
    ["temp dir:", path.join(cfg.storePath, `cockroach-temp${process.pid}`)],
    ["external I/O path:", path.join(cfg.storePath, "extern")],
    ["store[0]:", `path=${cfg.storePath}`],
    ["storage engine:", "pebble"],
    ["clusterID:", r.clusterId],
    ["status:", r.status],
    ["nodeID:", String(r.nodeId)],
  ];
  const head = `CockroachDB node starting at ${stamp} +0000 UTC (took ${(r.tookMs / 1000).toFixed(1)}s)`;
  return [head, ...lines.map(([k, v]) => k.padEnd(21) + v)].join("\n") + "\n";
}
