/**
 * Where the provider's time goes against the literal script (issue 14):
 * one 5-node sim (scale 0.2, server.shutdown.drain_wait 8s), the provider
 * with the literal bench's strategy (bake 10 s, gate every 1 s, re-check
 * 4.4 s, no watch), every progress line printed with the ms since the
 * run's start (CRDB_UPGRADE_PROGRESS=verbose), then the script on the same
 * cluster with its per-node stop/swap/start times. No workload, no HAProxy:
 * the structure of the wait, not the client impact (bench/load.ts).
 *
 *   nsrun node dist/bench/phase-profile.js [baseIp=127.0.121.10]
 */
import { Client } from "pg";
import * as lifecycle from "../provider/lifecycle";
import { startSimCluster } from "../tests/support/sim-cluster";
import { naiveUpgrade } from "./naive-upgrade";

async function main(): Promise<void> {
  process.env.CRDB_UPGRADE_PROGRESS = "verbose";
  const baseIp = process.argv[2] ?? "127.0.121.10";
  const initialWait = process.argv[3] ?? "8s";
  const sim = await startSimCluster({ nodes: 5, version: "v23.1.11", baseIp, timeScale: 0.2 });
  const served = await sim.serveReleases(sim.buildRelease("v23.1.12").dir);
  try {
    const [host, port] = sim.providerNodes[0].sqlAddr.split(":");
    const c = new Client({ host, port: Number(port), user: "root", database: "defaultdb" });
    await c.connect();
    await c.query(`SET CLUSTER SETTING server.shutdown.drain_wait = '${initialWait}'`);
    await c.end();
    const t0 = Date.now();
    await lifecycle.create(
      {
        version: "v23.1.12",
        nodes: sim.providerNodes,
        sql: { insecure: true },
        release: { urlTemplate: `${served.url}/cockroach-{version}.linux-amd64.tgz` },
        strategy: {
          waitAfterRejoin: "10s",
          canaryBake: "10s",
          gateInterval: "1000ms",
          gateRecheckAfter: "4400ms",
          watch: "0s",
          loadBalancer: { checkInterval: "2s", fall: 3 },
        } as never,
      } as never,
      { log: (l) => console.log(`${String(Date.now() - t0).padStart(6)} ${l.slice(0, 220)}`) },
    );
    console.log(`provider wall ${Date.now() - t0} ms`);
    const release = sim.buildRelease("v23.1.13");
    const r = await naiveUpgrade({ nodes: sim.providerNodes, tarball: release.tarball, sleepMs: 10_000 });
    console.log(`script wall ${r.wallMs} ms: ${JSON.stringify(r.nodes)}`);
  } finally {
    await served.close();
    await sim.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
