/**
 * The local transport: commands run on this machine through child_process.
 *
 * Success is the caller's to judge from the exit code; this layer throws only
 * when it could not run the command at all (spawn failure, timeout, abort), as
 * a TransportError naming argv[0] and never the arguments (they may carry
 * paths a user considers private, and callers add their own subject).
 */
import * as fs from "fs";
import { TransportError } from "../core/errors";
import { spawnLocal } from "./spawn-helper";
import type { ExecOptions, ExecResult, Transport } from "./transport";

export class LocalTransport implements Transport {
  readonly description = "local";

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new TransportError(this.description, "exec: empty command"));
    if (opts.signal?.aborted) return Promise.reject(new TransportError(this.description, `${argv[0]}: aborted before start`));
    return spawnLocal(argv, opts);
  }

  async putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    try {
      await fs.promises.copyFile(localPath, remotePath);
      if (mode !== undefined) await fs.promises.chmod(remotePath, mode);
    } catch (e) {
      throw new TransportError(this.description, `copy ${localPath} to ${remotePath}`, (e as Error).message);
    }
  }

  async close(): Promise<void> {
    // Nothing is held open between commands (the spawn helper is shared, and keeps no process alive).
  }
}
