/**
 * A TableStore in one JSON file that several processes (the simulated
 * nodes) can share. Each transaction takes an exclusive lock file
 * (`<path>.lock`, created with O_EXCL, holding the owner's pid), reads the
 * file if it changed, runs the work, writes back atomically (temp file +
 * rename) when something changed, and releases the lock. A lock left by a
 * dead process (kill -9 of a node) is broken.
 */
import * as fs from "fs";
import { Mutex, StateTx, StoreState, StoreTx, TableStore, initialState } from "./store";

export interface FileStoreOptions {
  /** Give up acquiring the lock after this long. Defaults to 10 s. */
  readonly lockTimeoutMs?: number;
}

export class JsonFileTableStore implements TableStore {
  private readonly mutex = new Mutex();
  private cache: { state: StoreState; ino: number; mtimeMs: number; size: number } | undefined;
  private readonly lockPath: string;

  constructor(
    readonly path: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.lockPath = path + ".lock";
  }

  transact<T>(work: (tx: StoreTx) => T): Promise<T> {
    return this.mutex.run(async () => {
      await this.lock();
      try {
        const state = this.read();
        const tx = new StateTx(state);
        try {
          const result = work(tx);
          if (tx.dirty) this.write(state);
          return result;
        } catch (e) {
          tx.rollback();
          throw e;
        }
      } finally {
        fs.rmSync(this.lockPath, { force: true });
      }
    });
  }

  private async lock(): Promise<void> {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 10_000);
    let delay = 2;
    for (;;) {
      try {
        fs.writeFileSync(this.lockPath, String(process.pid), { flag: "wx" });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      if (this.lockIsStale()) {
        fs.rmSync(this.lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`table store ${this.path}: lock ${this.lockPath} held too long`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 50);
    }
  }

  private lockIsStale(): boolean {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.lockPath, "utf8"));
    } catch {
      return false; // vanished or being written: retry
    }
    if (!Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ESRCH";
    }
  }

  private read(): StoreState {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.path);
    } catch {
      this.cache = undefined;
      return initialState();
    }
    // Every write renames a new file into place, so the inode changes with each commit.
    const c = this.cache;
    if (c && c.ino === stat.ino && c.mtimeMs === stat.mtimeMs && c.size === stat.size) return c.state;
    const state = JSON.parse(fs.readFileSync(this.path, "utf8")) as StoreState;
    this.cache = { state, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
    return state;
  }

  private write(state: StoreState): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, this.path);
    const stat = fs.statSync(this.path);
    this.cache = { state, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size };
  }
}
