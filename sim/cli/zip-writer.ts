/**
 * A minimal ZIP (PKZIP 2.0) writer: deflated entries, CRC-32, central
 * directory. Enough for `debug zip` archives that `unzip` and every zip
 * library read.
 */
import * as zlib from "zlib";

interface Entry {
  readonly name: Buffer;
  readonly crc: number;
  readonly size: number;
  readonly compressed: Buffer;
  readonly offset: number;
  readonly time: number;
  readonly date: number;
}

export class ZipWriter {
  private readonly chunks: Buffer[] = [];
  private readonly entries: Entry[] = [];
  private offset = 0;

  add(name: string, content: string | Buffer): void {
    const data = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const compressed = zlib.deflateRawSync(data);
    const { time, date } = dosTime(new Date());
    const entry: Entry = {
      name: Buffer.from(name, "utf8"),
      crc: zlib.crc32(data) >>> 0,
      size: data.length,
      compressed,
      offset: this.offset,
      time,
      date,
    };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4); // version needed
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt32LE(entry.crc, 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(entry.name.length, 26);
    header.writeUInt16LE(0, 28);
    this.push(header, entry.name, compressed);
    this.entries.push(entry);
  }

  finish(): Buffer {
    const start = this.offset;
    for (const e of this.entries) {
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(0x0314, 4); // made by: unix, 2.0
      h.writeUInt16LE(20, 6);
      h.writeUInt16LE(0x0800, 8);
      h.writeUInt16LE(8, 10);
      h.writeUInt16LE(e.time, 12);
      h.writeUInt16LE(e.date, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.compressed.length, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attrs: regular file 0644
      h.writeUInt32LE(e.offset, 42);
      this.push(h, e.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    this.push(end);
    return Buffer.concat(this.chunks);
  }

  private push(...bufs: Buffer[]): void {
    for (const b of bufs) {
      this.chunks.push(b);
      this.offset += b.length;
    }
  }
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}
