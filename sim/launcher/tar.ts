/**
 * A small ustar writer with gzip (Node's zlib), enough for release tarballs
 * that GNU tar extracts. Entries are written in the given order with fixed
 * owner and mtime, so the same inputs give the same bytes (and sha256).
 */
import * as zlib from "zlib";

export interface TarEntry {
  /** Path inside the archive; directories end with "/". */
  readonly name: string;
  readonly mode: number;
  readonly content?: Buffer;
}

/** 2020-01-01T00:00:00Z: a fixed mtime keeps archives reproducible. */
const MTIME = 1577836800;

export function tarGz(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const isDir = e.name.endsWith("/");
    const body = isDir ? Buffer.alloc(0) : (e.content ?? Buffer.alloc(0));
    blocks.push(header(e.name, e.mode, body.length, isDir ? "5" : "0"));
    blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
}

function header(name: string, mode: number, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`tar: path too long: ${name}`);
  }
  h.write(base, 0, 100, "utf8");
  octal(h, mode, 100, 8);
  octal(h, 0, 108, 8); // uid
  octal(h, 0, 116, 8); // gid
  octal(h, size, 124, 12);
  octal(h, MTIME, 136, 12);
  h.fill(" ", 148, 156); // checksum placeholder
  h.write(type, 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write("root", 265, 32, "ascii");
  h.write("root", 297, 32, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

function octal(buf: Buffer, value: number, offset: number, width: number): void {
  buf.write(value.toString(8).padStart(width - 1, "0") + "\0", offset, width, "ascii");
}
