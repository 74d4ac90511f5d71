/**
 * Files off a node, through commands only (so the same code runs over SSH,
 * where the transport copies files only towards the host): the file is read
 * in base64 chunks, each well inside a transport's output cap, and checked
 * against the node's own sha256sum before it is renamed into place here.
 * Used for the debug zip taken before a rollback (rollout/failure-evidence.ts).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ReadFailed } from "../core/errors";
import { shellQuote } from "../transport/transport";

/** Per copy command: 2 MiB of file is ~2.7 MiB of base64. */
const CHUNK_BYTES = 2 * 1024 * 1024;

/** Runs a script on the node and returns its stdout; throws "on <node>: <why>" when it fails. */
export type RunOnNode = (script: string) => Promise<string>;

export async function fetchFile(run: RunOnNode, nodeName: string, remote: string, local: string): Promise<void> {
  const f = shellQuote(remote);
  const stat = await run(`wc -c < ${f} && sha256sum ${f}`);
  const [sizeLine, sumLine] = stat.split("\n");
  const size = Number(sizeLine.trim());
  const want = sumLine?.trim().split(/\s+/)[0];
  if (!Number.isInteger(size) || size <= 0 || !want) throw new ReadFailed(`${remote} on ${nodeName} is empty or unreadable`);
  fs.mkdirSync(path.dirname(local), { recursive: true });
  const fd = fs.openSync(`${local}.part`, "w");
  const hash = crypto.createHash("sha256");
  try {
    for (let i = 0; i * CHUNK_BYTES < size; i++) {
      const b64 = await run(`dd if=${f} bs=${CHUNK_BYTES} skip=${i} count=1 2>/dev/null | base64`);
      const chunk = Buffer.from(b64.replace(/\s+/g, ""), "base64");
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  const got = hash.digest("hex");
  if (got !== want) {
    fs.rmSync(`${local}.part`, { force: true });
    throw new ReadFailed(`copying ${remote} from ${nodeName}: checksum mismatch (${got}, the node has ${want})`);
  }
  fs.renameSync(`${local}.part`, local);
}
