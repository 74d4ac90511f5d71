/**
 * Opens the transport a node's connection asks for. SSH is required lazily so
 * that local-only use never loads ssh2 (and so this module stays cheap to
 * load inside the engine's serialized provider).
 */
import type { Connection } from "../core/types";
import type { Transport } from "./transport";
import { LocalTransport } from "./local";

export type { Transport, ExecOptions, ExecResult } from "./transport";

interface SshModule {
  openSshTransport(conn: Connection): Promise<Transport>;
}

export async function openTransport(conn: Connection): Promise<Transport> {
  if (conn.kind === "local") return new LocalTransport();
  const ssh = require("./ssh") as SshModule;
  return ssh.openSshTransport(conn);
}
