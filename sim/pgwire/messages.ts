/**
 * PostgreSQL v3 wire messages: framing of the inbound byte stream, a cursor
 * to read message bodies, and builders for the backend messages we send.
 * Only the pieces CockroachDB's pgwire server uses are here.
 */

/** Protocol codes carried in the length-prefixed startup packet instead of a type byte. */
export const STARTUP_CODES = {
  protocolV3: 196608,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
  cancelRequest: 80877102,
} as const;

/** Largest message we accept; CockroachDB's default limit is 16 MiB too. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface InboundMessage {
  /** Type byte as a character; "" for the untyped startup packet. */
  readonly type: string;
  readonly body: Buffer;
}

/**
 * Splits the inbound stream into whole messages. The first message of a
 * connection (and the one after an SSL/GSS refusal) has no type byte.
 */
export class MessageFramer {
  private buffered: Buffer = Buffer.alloc(0);
  expectStartup = true;

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  /** Next whole message, or undefined when more bytes are needed; throws on a corrupt length. */
  next(): InboundMessage | undefined {
    const headerLength = this.expectStartup ? 4 : 5;
    if (this.buffered.length < headerLength) return undefined;
    const type = this.expectStartup ? "" : String.fromCharCode(this.buffered[0]);
    const length = this.buffered.readInt32BE(this.expectStartup ? 0 : 1);
    if (length < 4 || length > MAX_MESSAGE_BYTES) throw new Error(`invalid message length ${length}`);
    const total = length + (this.expectStartup ? 0 : 1);
    if (this.buffered.length < total) return undefined;
    const body = this.buffered.subarray(headerLength, total);
    this.buffered = this.buffered.subarray(total);
    return { type, body };
  }
}

/** Sequential reader over one message body. */
export class BodyReader {
  private offset = 0;
  constructor(private readonly body: Buffer) {}

  int16(): number {
    const v = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  byte(): string {
    return String.fromCharCode(this.body[this.offset++]);
  }

  /** NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end < 0) throw new Error("unterminated string in message");
    const s = this.body.toString("utf8", this.offset, end);
    this.offset = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    if (this.offset + n > this.body.length) throw new Error("message body too short");
    const b = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  get remaining(): number {
    return this.body.length - this.offset;
  }
}

/** Builds one typed backend message. */
export class MessageBuilder {
  private readonly parts: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  byte(c: string): this {
    this.parts.push(Buffer.from(c, "latin1"));
    return this;
  }

  cstring(s: string): this {
    this.parts.push(Buffer.from(s, "utf8"), Buffer.from([0]));
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  build(type: string): Buffer {
    const body = Buffer.concat(this.parts);
    const header = Buffer.alloc(5);
    header.write(type, 0, "latin1");
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  }
}

export interface ErrorFields {
  readonly severity: string;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export function errorResponse(f: ErrorFields): Buffer {
  const m = new MessageBuilder();
  m.byte("S").cstring(f.severity).byte("V").cstring(f.severity);
  m.byte("C").cstring(f.code).byte("M").cstring(f.message);
  if (f.detail !== undefined) m.byte("D").cstring(f.detail);
  if (f.hint !== undefined) m.byte("H").cstring(f.hint);
  return m.byte("\0").build("E");
}

export function parameterStatus(name: string, value: string): Buffer {
  return new MessageBuilder().cstring(name).cstring(value).build("S");
}

export function readyForQuery(status: "I" | "T" | "E"): Buffer {
  return new MessageBuilder().byte(status).build("Z");
}

export function commandComplete(tag: string): Buffer {
  return new MessageBuilder().cstring(tag).build("C");
}

export function authRequest(code: number): Buffer {
  return new MessageBuilder().int32(code).build("R");
}

export function backendKeyData(pid: number, secret: number): Buffer {
  return new MessageBuilder().int32(pid).int32(secret).build("K");
}

export interface FieldDescription {
  readonly name: string;
  readonly typeOid: number;
}

export function rowDescription(fields: readonly FieldDescription[]): Buffer {
  const m = new MessageBuilder().int16(fields.length);
  for (const f of fields) {
    // table oid, column attr, type oid, type size, type modifier, format (text)
    m.cstring(f.name).int32(0).int16(0).int32(f.typeOid).int16(-1).int32(-1).int16(0);
  }
  return m.build("T");
}

export function dataRow(cells: readonly (string | null)[]): Buffer {
  const m = new MessageBuilder().int16(cells.length);
  for (const c of cells) {
    if (c === null) {
      m.int32(-1);
    } else {
      const b = Buffer.from(c, "utf8");
      m.int32(b.length).raw(b);
    }
  }
  return m.build("D");
}

export function parameterDescription(oids: readonly number[]): Buffer {
  const m = new MessageBuilder().int16(oids.length);
  for (const o of oids) m.int32(o);
  return m.build("t");
}

/** Bodiless messages: ParseComplete, BindComplete, CloseComplete, NoData, EmptyQueryResponse, PortalSuspended. */
export function emptyMessage(type: "1" | "2" | "3" | "n" | "I" | "s"): Buffer {
  return new MessageBuilder().build(type);
}
