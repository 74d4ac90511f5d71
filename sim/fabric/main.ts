/**
 * The fabric process of one simulated cluster (`sim fabric --dir DIR`,
 * started by `sim up`): serves the cluster state on the socket named in
 * DIR/sim-cluster.json until SIGTERM.
 */
import * as fs from "fs";
import * as path from "path";
import { readClusterConfig } from "../common/cluster-files";
import { makeTiming } from "../common/timing";
import { parseSeries } from "../common/versions";
import { serveFabric } from "./server";
import { FabricService } from "./service";

export async function runFabric(dir: string): Promise<void> {
  const cfg = readClusterConfig(dir);
  const service = new FabricService({
    timing: makeTiming({ timeScale: cfg.timeScale, livenessTtlS: cfg.livenessTtlS }),
    initialVersion: parseSeries(cfg.initialVersion),
  });
  service.start();
  const server = await serveFabric(service, cfg.socket);
  fs.writeFileSync(path.join(cfg.dir, "fabric.pid"), `${process.pid}\n`);
  const stop = (): void => {
    service.stop();
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => undefined);
}
