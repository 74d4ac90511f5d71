/**
 * `cockroach sql [-e STMT]... [--format F] [-d DB]`: runs statements over
 * pgwire and prints each result as `cockroach sql` does (tsv when stdout is
 * not a terminal). Without -e, statements are read from stdin.
 */
import * as fs from "fs";
import { CLIENT_FLAGS, flagStrings, flagString, parseFlags } from "./flags";
import { parseFormat, renderTable } from "./format";
import { SqlConn, resolveTarget } from "./sql-conn";

const SQL_FLAGS = [
  ...CLIENT_FLAGS,
  { name: "execute", kind: "strings" as const, short: "e" },
  { name: "database", kind: "string" as const, short: "d" },
  { name: "file", kind: "string" as const, short: "f" },
  { name: "set", kind: "strings" as const },
  { name: "echo-sql", kind: "bool" as const },
  { name: "safe-updates", kind: "bool" as const },
];

export async function runSql(args: readonly string[]): Promise<number> {
  const p = parseFlags(args, SQL_FLAGS);
  const format = parseFormat(flagString(p, "format"));
  let statements = flagStrings(p, "execute");
  if (statements.length === 0) {
    const file = flagString(p, "file");
    const text = file ? fs.readFileSync(file, "utf8") : await readStdin();
    statements = [text];
  }
  const conn = await SqlConn.open(resolveTarget(p, flagString(p, "database") ?? "defaultdb"), "$ cockroach sql");
  try {
    for (const sql of statements) {
      if (sql.trim() === "") continue;
      for (const r of await conn.exec(sql)) {
        if (r.headers.length > 0) process.stdout.write(renderTable(r, format));
        else process.stdout.write(r.command + "\n");
      }
    }
  } finally {
    await conn.close();
  }
  return 0;
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    if (process.stdin.isTTY) return resolve("");
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (c: string) => (text += c));
    process.stdin.on("end", () => resolve(text));
  });
}
