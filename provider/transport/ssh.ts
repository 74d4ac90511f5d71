/**
 * The SSH transport: commands and files reach a node's host over one ssh2
 * connection, reused for every command of a provider operation and ended by
 * `close()`. ssh2 is required inside functions (never at module top level),
 * because the provider is serialized by closure and must stay plain data.
 *
 * Pieces, one file each:
 *   ../spec/host-key.ts  what `hostKey` may say and whether a presented key matches
 *   ssh-auth.ts     private key / password / agent, in @pulumi/command's order
 *   ssh-dial.ts     connect: pinning, auth, bounded retries with backoff
 *   ssh-exec.ts     one command: quoting, env, stdin, timeout/abort kill
 *   ssh-sftp.ts     putFile: streamed SFTP upload, mode, atomic rename
 *   ssh-errors.ts   which failures are transient, and how they are worded
 *
 * If the connection drops, the command in flight fails with TransportError
 * "connection lost during <command>" (it is never re-run: it may have had an
 * effect), and the next call dials again, so a rollback can proceed as soon
 * as the host's sshd is back.
 */
import type { Client, SFTPWrapper } from "ssh2";
import { TransportError } from "../core/errors";
import type { Connection } from "../core/types";
import { dialSsh } from "./ssh-dial";
import { execOverSsh } from "./ssh-exec";
import { openSftp, putFileOverSftp } from "./ssh-sftp";
import type { ExecOptions, ExecResult, Transport } from "./transport";

/** Session channels at once on one connection; OpenSSH's MaxSessions defaults to 10. */
const MAX_CHANNELS = 8;

/** One dialled connection and what we learnt about it. */
interface Link {
  readonly client: Client;
  lost: boolean;
  sftp?: Promise<SFTPWrapper>;
}

export class SshTransport implements Transport {
  readonly description: string;
  private link?: Promise<Link>;
  /** The link `link` resolved to, once it has. */
  private linkNow?: Link;
  private closed = false;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly conn: Connection) {
    this.description = `ssh ${conn.user}@${conn.host}:${conn.port}`;
  }

  /** Dials now (if not connected), so host-key and login problems surface before any command. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.current(signal);
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const link = await this.current(opts.signal);
    return this.withChannel(() => execOverSsh(link.client, argv, opts, { description: this.description, connectionLost: () => link.lost }));
  }

  async putFile(localPath: string, remotePath: string, mode?: number): Promise<void> {
    const link = await this.current();
    link.sftp ??= openSftp(link.client);
    let sftp: SFTPWrapper;
    try {
      sftp = await link.sftp;
    } catch (e) {
      link.sftp = undefined;
      throw new TransportError(this.description, `copy ${localPath} to ${remotePath}`, `cannot start SFTP: ${(e as Error).message}`);
    }
    await this.withChannel(() =>
      putFileOverSftp(sftp, localPath, remotePath, mode, { description: this.description, connectionLost: () => link.lost }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.link;
    this.link = undefined;
    if (!pending) return;
    const link = await pending.catch(() => undefined);
    if (!link || link.lost) return;
    await new Promise<void>((resolve) => {
      link.client.once("close", () => resolve());
      link.client.end();
      setTimeout(resolve, 2_000).unref();
    });
  }

  private current(signal?: AbortSignal): Promise<Link> {
    if (this.closed) return Promise.reject(new TransportError(this.description, "transport already closed"));
    if (!this.link) {
      const dialing = dialSsh(this.conn, this.description, signal).then((client) => this.adopt(client));
      // A failed dial is not cached: the next call dials again.
      dialing.catch(() => {
        if (this.link === dialing) this.link = undefined;
      });
      this.link = dialing;
    }
    return this.link;
  }

  private adopt(client: Client): Link {
    const link: Link = { client, lost: false };
    this.linkNow = link;
    const forget = (): void => {
      link.lost = true;
      // Only the live link is forgotten; a stale one closing late must not drop its successor.
      if (this.linkNow === link) {
        this.linkNow = undefined;
        this.link = undefined;
      }
    };
    client.on("close", forget);
    client.on("error", forget);
    return link;
  }

  private async withChannel<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= MAX_CHANNELS) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * An SSH transport for a node (called by transport/index.ts for kind "ssh").
 * It dials on first use rather than here: a host-key or login refusal then
 * surfaces inside the node operation that needed the host, which names the
 * node and the phase (pre-flight reads every node before anything is
 * touched). Call `connect()` to dial eagerly.
 */
export async function openSshTransport(conn: Connection): Promise<Transport> {
  return new SshTransport(conn);
}
