/**
 * A secure node's TLS material and the plumbing to speak TLS on a port that
 * also takes other traffic (CockroachDB multiplexes with cmux): the first
 * byte of a connection tells a TLS ClientHello (0x16) from pgwire (0x00) or
 * plain HTTP. Node's TLSSocket reads its net.Socket's handle directly, so
 * bytes already read to peek would be lost; a TLS connection is therefore
 * handed over as a stream that replays them first.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Duplex } from "stream";
import * as tls from "tls";

export interface NodeTls {
  readonly certsDir: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** First byte of a TLS record carrying a handshake (the ClientHello). */
export const TLS_HANDSHAKE_BYTE = 0x16;

const CANNOT_LOAD =
  "cannot load certificates.\nCheck your certificate settings, set --certs-dir, or use --insecure for insecure clusters.\n\n";

/** Reads ca.crt, node.crt and node.key from the certs dir, failing with CockroachDB's start-up message. */
export function loadNodeTls(certsDir: string): NodeTls {
  if (!fs.existsSync(certsDir))
    throw new Error(CANNOT_LOAD + "problem using security settings: no certificates found; does certs dir exist?");
  const read = (file: string, what: string): Buffer => {
    try {
      return fs.readFileSync(path.join(certsDir, file));
    } catch {
      throw new Error(CANNOT_LOAD + `problem with ${what}: not found`);
    }
  };
  return { certsDir, ca: read("ca.crt", "CA certificate"), cert: read("node.crt", "node certificate"), key: read("node.key", "node key") };
}

/** Server side: present node.crt, ask for (but do not require) a client certificate signed by ca.crt. */
export function serverTlsOptions(t: NodeTls): tls.TlsOptions {
  return { ca: t.ca, cert: t.cert, key: t.key, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" };
}

/** Client side (node to node): node.crt as the client certificate, ca.crt to verify the peer. */
export function clientTlsOptions(t: NodeTls): { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer } {
  return { ca: t.ca, cert: t.cert, key: t.key };
}

/** A stream over `socket` that first yields `head` (bytes already read), for a TLSSocket to wrap. */
export function replayStream(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read(): void {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback): void {
      socket.write(chunk, callback);
    },
    final(callback): void {
      socket.end();
      callback();
    },
    destroy(err, callback): void {
      socket.destroy();
      callback(err);
    },
  });
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  socket.on("error", (e) => stream.destroy(e));
  return stream;
}
