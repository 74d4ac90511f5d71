/**
 * A node's log file, in CockroachDB's crdb-v2 line format:
 *   I240131 12:00:01.123456 77 1@server/drain.go:110 ⋮ [n1] 12  drain request received ...
 * (severity, yymmdd, time, goroutine, channel@file:line, tags, counter, message).
 * Writes are synchronous so a line is on disk before the process can be killed.
 */
import * as fs from "fs";
import * as path from "path";

export type Severity = "I" | "W" | "E" | "F";

export class CrdbLog {
  private counter = 0;
  private fd: number | undefined;
  /** Node tag, e.g. "n1"; "-" until the node has an ID. */
  tag = "-";

  constructor(readonly file: string | undefined) {
    if (file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.fd = fs.openSync(file, "a");
    }
  }

  info(where: string, message: string): void {
    this.write("I", where, message);
  }

  warn(where: string, message: string): void {
    this.write("W", where, message);
  }

  error(where: string, message: string): void {
    this.write("E", where, message);
  }

  write(severity: Severity, where: string, message: string): void {
    if (this.fd === undefined) return;
    this.counter += 1;
    const line = `${severity}${stamp(new Date())} ${process.pid % 10000} ${where} ⋮ [${this.tag}] ${this.counter}  ${message}\n`;
    try {
      fs.writeSync(this.fd, line);
    } catch {
      // A full or vanished disk must not take the node down with it.
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const micros = p(d.getUTCMilliseconds(), 3) + "000";
  return (
    `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${micros}`
  );
}
