/** Copies a program fixture into a temp dir wired to this repo's node_modules. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./pulumi";

export interface ProgramDir {
  readonly dir: string;
  dispose(): void;
}

export function copyProgram(fixtureDir: string): ProgramDir {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-program-"));
  fs.cpSync(fixtureDir, dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The source fixture dir for a compiled test (dist/tests/e2e -> tests/e2e/fixtures/<name>). */
export function fixture(name: string): string {
  return path.join(REPO_ROOT, "tests", "e2e", "fixtures", name);
}
