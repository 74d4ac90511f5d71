/**
 * bench/FAULT-MATRIX.md holds one table per fault test (release faults, faults
 * outside the node in hand). Each test rewrites only its own section, between
 * `<!-- name:begin -->` and `<!-- name:end -->`, and keeps the others.
 */
import * as fs from "fs";
import * as path from "path";

function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- ${name}:begin -->`, end: `<!-- ${name}:end -->` };
}

/** The text of the section ("" when the file or the section does not exist). */
export function readSection(file: string, name: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
  const { begin, end } = markers(name);
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  return i >= 0 && j > i ? text.slice(i + begin.length, j) : "";
}

/** Replaces the section (appends it when absent); the rest of the file is kept. */
export function writeSection(file: string, name: string, body: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const { begin, end } = markers(name);
  const block = `${begin}\n${body.trimEnd()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}${text ? "\n\n" : ""}${block}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
}
