/**
 * The provider's layout is its architecture (ARCHITECTURE.md, "Layout"):
 * folders in one order, imports pointing only down that order, no file
 * past the size a reader can hold. This test reads the sources, so a move
 * that breaks the map fails here, not in a reviewer's head.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

/** Top to bottom: a file may import from its own folder or from a folder later in the list. */
export const LAYERS = ["", "engine", "rollout", "cluster", "node", "transport", "plan", "spec", "versions", "core"] as const;
const MAX_LINES = 260;

const providerDir = path.resolve(__dirname, "../../../provider");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

function layerOf(file: string): string {
  const rel = path.relative(providerDir, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : "";
}

function relativeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found = [...text.matchAll(/(?:from|import\(|require\()\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return found.map((spec) => path.resolve(path.dirname(file), spec));
}

describe("provider layout", () => {
  const files = sources(providerDir);

  it("has every folder in the layer list, and every file in a listed folder", () => {
    assert.ok(files.length > 50, `expected the provider's sources under ${providerDir}`);
    for (const f of files)
      assert.ok((LAYERS as readonly string[]).includes(layerOf(f)), `${path.relative(providerDir, f)} is in no listed folder`);
  });

  it("imports only point down the layer list", () => {
    const upward: string[] = [];
    for (const f of files) {
      const from = LAYERS.indexOf(layerOf(f) as (typeof LAYERS)[number]);
      for (const target of relativeImports(f)) {
        // The package's own metadata (its version) is the one thing read from above.
        if (target.endsWith("package.json")) continue;
        if (!target.startsWith(providerDir)) {
          upward.push(`${path.relative(providerDir, f)} imports outside provider/: ${target}`);
          continue;
        }
        const to = LAYERS.indexOf(layerOf(target + ".ts") as (typeof LAYERS)[number]);
        if (to < from) upward.push(`${path.relative(providerDir, f)} -> ${path.relative(providerDir, target)}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it(`keeps every file under ${MAX_LINES} lines`, () => {
    const long = files
      .map((f) => ({ f: path.relative(providerDir, f), n: fs.readFileSync(f, "utf8").split("\n").length }))
      .filter((x) => x.n > MAX_LINES)
      .map((x) => `${x.f}: ${x.n}`);
    assert.deepEqual(long, []);
  });
});
