/**
 * Copying a file to the host over SFTP, for air-gapped releases (`release.fetch:
 * "provider"`): from a few KB to ~100 MB.
 *
 * The file is streamed with ssh2's `fastPut` (many requests in flight, so
 * throughput is not bound by round trips) into `<remote>.part-<random>` in the
 * destination directory, given its mode, then renamed over the destination
 * with OpenSSH's posix-rename extension. A reader of `remotePath` therefore
 * sees the old file or the complete new one, never a torn copy; after a
 * failure the partial file is removed (best effort).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import type { Client, SFTPWrapper } from "ssh2";
import { TransportError } from "../core/errors";

/** Requests in flight and bytes per request: 64 × 32 KiB keeps a LAN link busy. */
const CONCURRENCY = 64;
const CHUNK_BYTES = 32 * 1024;

export interface SftpContext {
  readonly description: string;
  readonly connectionLost: () => boolean;
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
  });
}

export async function putFileOverSftp(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  mode: number | undefined,
  ctx: SftpContext,
): Promise<void> {
  const what = `copy ${localPath} to ${remotePath}`;
  let fileMode: number;
  try {
    fileMode = mode ?? (await fs.promises.stat(localPath)).mode & 0o7777;
  } catch (e) {
    throw new TransportError(ctx.description, what, (e as Error).message);
  }
  const part = `${remotePath}.part-${randomBytes(4).toString("hex")}`;
  try {
    await call<void>((cb) => sftp.fastPut(localPath, part, { concurrency: CONCURRENCY, chunkSize: CHUNK_BYTES, mode: fileMode }, cb));
    // The open mode is subject to the server's umask: set it explicitly.
    await call<void>((cb) => sftp.chmod(part, fileMode, cb));
    await renameOver(sftp, part, remotePath);
  } catch (e) {
    await call<void>((cb) => sftp.unlink(part, cb)).catch(() => undefined);
    if (ctx.connectionLost()) throw new TransportError(ctx.description, `connection lost during ${what}`);
    throw new TransportError(ctx.description, what, (e as Error).message);
  }
}

async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
  } catch (e) {
    // Servers without posix-rename: plain SFTP rename refuses to overwrite.
    if (!/extension|not supported/i.test((e as Error).message)) throw e;
    await call<void>((cb) => sftp.unlink(to, cb)).catch(() => undefined);
    await call<void>((cb) => sftp.rename(from, to, cb));
  }
}

function call<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (e) {
      reject(e);
    }
  });
}
