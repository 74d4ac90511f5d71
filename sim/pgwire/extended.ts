/**
 * The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync,
 * Flush. A portal runs when it is first described or executed, and its
 * result is kept so that Describe and Execute agree and Execute can resume
 * after PortalSuspended. After an error every message up to Sync is skipped.
 */
import { BodyReader, InboundMessage, commandComplete, emptyMessage, parameterDescription, readyForQuery } from "./messages";
import { ProtocolIo, commandTag, describeColumns, encodeRow, isBlankQuery, sendError } from "./simple";
import { QueryResult, SqlError, toSqlError } from "./types";

interface PreparedStatement {
  readonly sql: string;
  readonly paramOids: readonly number[];
}

interface Portal {
  readonly statement: PreparedStatement;
  readonly params: readonly unknown[];
  result?: QueryResult;
  /** Rows already sent by earlier Execute messages with a row limit. */
  sent: number;
}

const MAX_PARAMS = 65535;

export class ExtendedProtocol {
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private discardUntilSync = false;

  constructor(private readonly io: ProtocolIo) {}

  async handle(msg: InboundMessage): Promise<void> {
    if (msg.type === "S") return this.sync();
    if (msg.type === "H") return; // we never buffer output
    if (this.discardUntilSync) return;
    try {
      await this.dispatch(msg, new BodyReader(msg.body));
    } catch (e) {
      sendError(this.io, toSqlError(e));
      this.io.tx.onError();
      this.discardUntilSync = true;
    }
  }

  private async dispatch(msg: InboundMessage, r: BodyReader): Promise<void> {
    switch (msg.type) {
      case "P":
        return this.parse(r);
      case "B":
        return this.bind(r);
      case "D":
        return this.describe(r);
      case "E":
        return this.execute(r);
      case "C":
        return this.close(r);
      default:
        throw new SqlError("08P01", `unsupported message type '${msg.type}'`);
    }
  }

  private parse(r: BodyReader): void {
    const name = r.cstring();
    const sql = r.cstring();
    const count = r.int16();
    const paramOids: number[] = [];
    for (let i = 0; i < count; i++) paramOids.push(r.int32());
    if (name !== "" && this.statements.has(name)) {
      throw new SqlError("42P05", `prepared statement "${name}" already exists`);
    }
    this.statements.set(name, { sql, paramOids });
    this.io.write(emptyMessage("1"));
  }

  private bind(r: BodyReader): void {
    const portalName = r.cstring();
    const statementName = r.cstring();
    const statement = this.statements.get(statementName);
    if (statement === undefined) throw new SqlError("26000", `unknown prepared statement "${statementName}"`);
    const formats = readInt16List(r);
    const paramCount = r.int16();
    if (paramCount > MAX_PARAMS) throw new SqlError("08P01", "too many parameters");
    const params: unknown[] = [];
    for (let i = 0; i < paramCount; i++) {
      const len = r.int32();
      const format = formats.length === 1 ? formats[0] : (formats[i] ?? 0);
      params.push(len < 0 ? null : decodeParam(r.bytes(len), format));
    }
    const resultFormats = readInt16List(r);
    if (resultFormats.some((f) => f !== 0)) throw new SqlError("0A000", "binary result format is not supported");
    this.portals.set(portalName, { statement, params, sent: 0 });
    this.io.write(emptyMessage("2"));
  }

  private async describe(r: BodyReader): Promise<void> {
    const kind = r.byte();
    const name = r.cstring();
    if (kind === "S") {
      const statement = this.statements.get(name);
      if (statement === undefined) throw new SqlError("26000", `unknown prepared statement "${name}"`);
      const count = Math.max(statement.paramOids.length, highestParamIndex(statement.sql));
      this.io.write(parameterDescription(Array.from({ length: count }, (_, i) => statement.paramOids[i] || 25)));
      // Row shape is only known once parameters are bound; clients we serve describe portals.
      this.io.write(emptyMessage("n"));
      return;
    }
    const portal = this.portal(name);
    const result = await this.run(portal);
    this.io.write(result === undefined || result.columns.length === 0 ? emptyMessage("n") : describeColumns(result.columns));
  }

  private async execute(r: BodyReader): Promise<void> {
    const portal = this.portal(r.cstring());
    const maxRows = r.int32();
    const result = await this.run(portal);
    if (result === undefined) {
      this.io.write(emptyMessage("I"));
      return;
    }
    const end = maxRows > 0 ? Math.min(result.rows.length, portal.sent + maxRows) : result.rows.length;
    for (let i = portal.sent; i < end; i++) this.io.write(encodeRow(result.rows[i], result.columns));
    portal.sent = end;
    if (end < result.rows.length) {
      this.io.write(emptyMessage("s"));
      return;
    }
    this.io.write(commandComplete(commandTag(result)));
  }

  private close(r: BodyReader): void {
    const kind = r.byte();
    const name = r.cstring();
    (kind === "S" ? this.statements : this.portals).delete(name);
    this.io.write(emptyMessage("3"));
  }

  private sync(): void {
    this.discardUntilSync = false;
    this.portals.delete(""); // the unnamed portal does not outlive its sync
    this.io.write(readyForQuery(this.io.tx.status));
  }

  private portal(name: string): Portal {
    const portal = this.portals.get(name);
    if (portal === undefined) throw new SqlError("34000", `unknown portal "${name}"`);
    return portal;
  }

  /** Runs the portal once; undefined means an empty query string. */
  private async run(portal: Portal): Promise<QueryResult | undefined> {
    if (portal.result !== undefined) return portal.result;
    const sql = portal.statement.sql;
    if (isBlankQuery(sql)) return undefined;
    const intercepted = this.io.tx.interceptAborted(sql);
    const results = intercepted ? [intercepted] : await this.io.execute(sql, portal.params, this.io.session);
    if (results.length !== 1) throw new SqlError("42601", "cannot insert multiple commands into a prepared statement");
    portal.result = results[0];
    this.io.tx.observe(results[0]);
    return results[0];
  }
}

function readInt16List(r: BodyReader): number[] {
  const n = r.int16();
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.int16());
  return out;
}

/** Text parameters arrive as strings; binary ones are passed through as bytes. */
function decodeParam(bytes: Buffer, format: number): unknown {
  return format === 0 ? bytes.toString("utf8") : Buffer.from(bytes);
}

function highestParamIndex(sql: string): number {
  let max = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}
