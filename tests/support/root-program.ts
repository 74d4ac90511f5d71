/**
 * The repository's root Pulumi program (index.ts, compiled to dist/index.js),
 * run from a temp directory so that stack files never land in the repo: the
 * temp dir holds a Pulumi.yaml whose `main` is the absolute path of the
 * compiled program, and a node_modules link to the repo's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { REPO_ROOT } from "./pulumi";

export interface RootProgram {
  readonly dir: string;
  /** Merges `values` (keys without namespace) into the stack's config file as plain (non-secret) config. */
  setConfig(stack: string, values: Readonly<Record<string, unknown>>): void;
  /** The stack config file's text (to save and restore it, as a config revert in git would). */
  readConfigFile(stack: string): string;
  writeConfigFile(stack: string, text: string): void;
  dispose(): void;
}

export function rootProgram(): RootProgram {
  const main = path.join(REPO_ROOT, "dist", "index.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crdb-root-program-"));
  const project = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify({ ...project, main }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "crdb-upgrade-e2e", private: true }));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const stackFile = (stack: string) => path.join(dir, `Pulumi.${stack}.yaml`);
  return {
    dir,
    setConfig(stack, values) {
      const file = stackFile(stack);
      const doc = (fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) : {}) as { config?: Record<string, unknown> };
      doc.config = { ...(doc.config ?? {}) };
      for (const [k, v] of Object.entries(values)) doc.config[`crdb-upgrade:${k}`] = v;
      fs.writeFileSync(file, stringify(doc));
    },
    readConfigFile: (stack) => fs.readFileSync(stackFile(stack), "utf8"),
    writeConfigFile: (stack, text) => fs.writeFileSync(stackFile(stack), text),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
