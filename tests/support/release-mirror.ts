/** Several simulated releases in one directory, served over HTTP, as a release mirror would. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { SimCluster } from "./sim-cluster";

export interface ReleaseMirror {
  readonly url: string;
  /** Stops the server and removes the directory. */
  close(): Promise<void>;
}

export async function serveReleaseMirror(sim: SimCluster, versions: readonly string[], fault?: string): Promise<ReleaseMirror> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-releases-"));
  for (const v of versions) {
    const built = sim.buildRelease(v, fault);
    for (const f of fs.readdirSync(built.dir)) fs.copyFileSync(path.join(built.dir, f), path.join(dir, f));
  }
  const server = await sim.serveReleases(dir);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
