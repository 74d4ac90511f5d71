/**
 * Result printing for `cockroach sql` and `cockroach node ...` (CR
 * `pkg/cli/clisqlexec/format_*.go`, reference §1): tsv (default when stdout
 * is not a terminal), csv, table (default on a terminal), records, json,
 * ndjson, sql, html. Values arrive as text; NULL as null, printed `NULL`.
 */
export type Cell = string | null;

export const FORMATS = ["tsv", "csv", "table", "records", "json", "ndjson", "sql", "html", "raw"] as const;
export type Format = (typeof FORMATS)[number];

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Per column: "r" right, "l" left, "c" center (table format only). */
  readonly align?: string;
}

export function defaultFormat(): Format {
  return process.stdout.isTTY ? "table" : "tsv";
}

export function parseFormat(text: string | undefined): Format {
  if (text === undefined) return defaultFormat();
  if ((FORMATS as readonly string[]).includes(text)) return text as Format;
  throw new Error(
    `invalid argument "${text}" for "--format" flag: invalid table display format: ${text} (possible values: ${FORMATS.join(", ")})`,
  );
}

export function renderTable(t: Table, format: Format): string {
  switch (format) {
    case "tsv":
      return delimited(t, "\t");
    case "csv":
      return delimited(t, ",");
    case "table":
      return pretty(t);
    case "records":
      return records(t);
    case "json":
      return json(t);
    case "ndjson":
      return t.rows.map((r) => JSON.stringify(asObject(t.headers, r)) + "\n").join("");
    case "sql":
      return sqlInserts(t);
    case "html":
      return html(t);
    case "raw":
      return raw(t);
  }
}

const show = (c: Cell): string => (c === null ? "NULL" : c);

/** Go's encoding/csv quoting rules. */
function quoteField(field: string, sep: string): string {
  const needs = field === "\\." || field.includes(sep) || /["\r\n]/.test(field) || field.startsWith(" ") || field.startsWith("\t");
  return needs && field !== "" ? `"${field.replace(/"/g, '""')}"` : field;
}

function delimited(t: Table, sep: string): string {
  const line = (cells: readonly string[]): string => cells.map((c) => quoteField(c, sep)).join(sep) + "\n";
  return line(t.headers) + t.rows.map((r) => line(r.map(show))).join("");
}

function pad(text: string, width: number, align: string): string {
  const gap = Math.max(0, width - [...text].length);
  if (align === "r") return " ".repeat(gap) + text;
  if (align === "c") {
    const left = Math.floor(gap / 2);
    return " ".repeat(left) + text + " ".repeat(gap - left);
  }
  return text + " ".repeat(gap);
}

/** tablewriter without borders: centered headers, a dashed rule, `(N rows)`. */
function pretty(t: Table): string {
  const cols = t.headers.length;
  const cells = t.rows.map((r) => r.map(show));
  const widths = t.headers.map((h, i) => Math.max([...h].length, ...cells.map((r) => [...(r[i] ?? "")].length)));
  const line = (parts: string[]): string => " " + parts.join("|") + " ";
  const out: string[] = [];
  if (cols > 0) {
    out.push(line(t.headers.map((h, i) => ` ${pad(h, widths[i], "c")} `)).trimEnd());
    out.push("-" + widths.map((w) => "-".repeat(w + 2)).join("+") + "-");
    for (const r of cells) out.push(line(r.map((c, i) => ` ${pad(c, widths[i], t.align?.[i] ?? "l")} `)).trimEnd());
  }
  const n = t.rows.length;
  out.push(`(${n} row${n === 1 ? "" : "s"})`);
  return out.join("\n") + "\n";
}

function records(t: Table): string {
  const w = Math.max(0, ...t.headers.map((h) => [...h].length));
  return t.rows
    .map((r, i) => `-[ RECORD ${i + 1} ]\n` + t.headers.map((h, j) => `${pad(h, w, "l")} | ${show(r[j] ?? null)}`).join("\n") + "\n")
    .join("");
}

function asObject(headers: readonly string[], row: readonly Cell[]): Record<string, string | null> {
  const o: Record<string, string | null> = {};
  headers.forEach((h, i) => (o[h] = row[i] ?? null));
  return o;
}

function json(t: Table): string {
  if (t.rows.length === 0) return "[]\n";
  return "[\n" + t.rows.map((r) => "  " + JSON.stringify(asObject(t.headers, r))).join(",\n") + "\n]\n";
}

function sqlInserts(t: Table): string {
  const ident = (s: string): string => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  const lit = (c: Cell): string => (c === null ? "NULL" : `'${c.replace(/'/g, "''")}'`);
  const cols = t.headers.map(ident).join(", ");
  let out = `CREATE TABLE results (\n${t.headers.map((h) => `  ${ident(h)} STRING`).join(",\n")}\n);\n\n`;
  for (const r of t.rows) out += `INSERT INTO results(${cols}) VALUES (${r.map(lit).join(", ")});\n`;
  return out + `-- ${t.rows.length} row${t.rows.length === 1 ? "" : "s"}\n`;
}

function html(t: Table): string {
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let out = "<table>\n<thead><tr><th>row</th>" + t.headers.map((h) => `<th>${esc(h)}</th>`).join("") + "</tr></thead>\n<tbody>\n";
  t.rows.forEach((r, i) => (out += `<tr><td>${i + 1}</td>` + r.map((c) => `<td>${esc(show(c))}</td>`).join("") + "</tr>\n"));
  return (
    out +
    `</tbody>\n<tfoot><tr><td colspan=${t.headers.length + 1}>${t.rows.length} row${t.rows.length === 1 ? "" : "s"}</td></tr></tfoot></table>\n`
  );
}

function raw(t: Table): string {
  let out = `# ${t.headers.length} column${t.headers.length === 1 ? "" : "s"}\n`;
  t.rows.forEach((r, i) => {
    out += `# row ${i + 1}\n`;
    for (const c of r) out += `## ${show(c).length}\n${show(c)}\n`;
  });
  return out + `# ${t.rows.length} row${t.rows.length === 1 ? "" : "s"}\n`;
}
