/**
 * Output formats of the simulated `cockroach` CLI and endpoints: the result
 * formats (reference §1), Prometheus text (reference §3), and the archive
 * writers, checked with the system's own tar and unzip.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderTable } from "../../sim/cli/format";
import { ZipWriter } from "../../sim/cli/zip-writer";
import { versionText } from "../../sim/cli/version-cmd";
import { tarGz } from "../../sim/launcher/tar";
import { formatValue, renderPrometheus } from "../../sim/node/prometheus";

const table = {
  headers: ["id", "address", "is_live"],
  rows: [
    ["1", "localhost:26257", "true"],
    ["2", "localhost:26258", null],
  ],
  align: "rll",
};

function requireTool(tool: string, pkg: string): void {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${tool} is required for this test: apt-get install -y ${pkg}`);
  }
}

describe("sim/cli/format", () => {
  it("prints tsv with a header line, NULL for nulls and no footer", () => {
    assert.strictEqual(renderTable(table, "tsv"), "id\taddress\tis_live\n1\tlocalhost:26257\ttrue\n2\tlocalhost:26258\tNULL\n");
  });

  it("quotes csv fields the way Go's encoding/csv does", () => {
    const out = renderTable(
      {
        headers: ["a", "b"],
        rows: [
          ["x,y", 'say "hi"'],
          [" lead", ""],
        ],
      },
      "csv",
    );
    assert.strictEqual(out, 'a,b\n"x,y","say ""hi"""\n" lead",\n');
  });

  it("prints the table format like cockroach: centered headers, dashed rule, aligned cells, row count", () => {
    const lines = renderTable(table, "table").split("\n");
    assert.strictEqual(lines[0], "  id |     address     | is_live");
    assert.strictEqual(lines[1], "-----+-----------------+----------");
    assert.strictEqual(lines[2], "   1 | localhost:26257 | true");
    assert.strictEqual(lines[4], "(2 rows)");
  });

  it("prints records, json and ndjson with string values", () => {
    assert.match(renderTable(table, "records"), /^-\[ RECORD 1 \]\nid {6}\| 1\naddress {1}\| localhost:26257\n/);
    const json = JSON.parse(renderTable(table, "json")) as Record<string, string>[];
    assert.deepStrictEqual(json[0], { id: "1", address: "localhost:26257", is_live: "true" });
    const nd = renderTable(table, "ndjson")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    assert.strictEqual(nd.length, 2);
  });

  it("prints `cockroach version` as aligned label lines", () => {
    const text = versionText("v23.1.11");
    assert.match(text, /^Build Tag: {8}v23\.1\.11\n/);
    assert.match(text, /\nGo Version: {7}go1\.19\.10\n/);
    const starts = text
      .trim()
      .split("\n")
      .map((l) => /^\S[^:]*: +/.exec(l)?.[0].length);
    assert.ok(
      starts.every((s) => s === 18),
      `values start at column 18: ${starts}`,
    );
  });
});

describe("sim/node/prometheus", () => {
  const input = {
    nodeId: 2,
    snapshot: {
      nodeId: 2,
      updatedAt: Date.now(),
      live: true,
      liveNodes: 3,
      counts: { replicas: 64, leaseholders: 21, unavailable: 0, underreplicated: 5 },
      raftLogBehind: 96,
      bytes: { live: 1000, key: 100, val: 900, intent: 0, sys: 50 },
    },
    selfLive: true,
    liveNodes: 3,
    startedAt: Date.now() - 5000,
    sqlConns: 1,
    heartbeats: 4,
    selectCount: 7,
  };

  it("labels store series with store and, from v23.1, node_id", () => {
    assert.match(renderPrometheus({ ...input, binaryTag: "v23.1.11" }), /\nranges_underreplicated\{store="2",node_id="2"\} 5\n/);
    assert.match(renderPrometheus({ ...input, binaryTag: "v22.2.9" }), /\nranges_underreplicated\{store="2"\} 5\n/);
  });

  it("gives every series HELP and TYPE lines and a build_timestamp with tag and go_version", () => {
    const text = renderPrometheus({ ...input, binaryTag: "v23.1.11" });
    const names = new Set([...text.matchAll(/^([a-z_]+)[{ ]/gm)].map((m) => m[1]));
    for (const n of names) {
      assert.match(text, new RegExp(`# HELP ${n} `));
      assert.match(text, new RegExp(`# TYPE ${n} (gauge|counter)`));
    }
    assert.match(text, /\nbuild_timestamp\{tag="v23\.1\.11",go_version="go1\.19\.10"\} \d\.\d+e\+09\n/);
  });

  it("adds major and minor labels to build_timestamp from v26.1", () => {
    assert.match(
      renderPrometheus({ ...input, binaryTag: "v26.1.0" }),
      /\nbuild_timestamp\{tag="v26\.1\.0",go_version="go[\d.]+",major="26",minor="1"\} /,
    );
  });

  it("reports 0 live nodes when the node itself is not live", () => {
    assert.match(renderPrometheus({ ...input, binaryTag: "v23.1.11", selfLive: false }), /\nliveness_livenodes\{node_id="2"\} 0\n/);
  });

  it("formats large values like Go's %g", () => {
    assert.strictEqual(formatValue(1695822778), "1.695822778e+09");
    assert.strictEqual(formatValue(42), "42");
  });
});

describe("sim archives", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-archive-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes gzip'd tarballs that GNU tar extracts with their modes", () => {
    requireTool("tar", "tar");
    const file = path.join(dir, "x.tgz");
    fs.writeFileSync(
      file,
      tarGz([
        { name: "top/", mode: 0o755 },
        { name: "top/run", mode: 0o755, content: Buffer.from("#!/bin/sh\necho hi\n") },
      ]),
    );
    execFileSync("tar", ["-xzf", file, "-C", dir]);
    assert.strictEqual(fs.readFileSync(path.join(dir, "top", "run"), "utf8"), "#!/bin/sh\necho hi\n");
    assert.strictEqual(fs.statSync(path.join(dir, "top", "run")).mode & 0o777, 0o755);
  });

  it("writes zips that unzip lists and extracts", () => {
    requireTool("unzip", "unzip");
    const zip = new ZipWriter();
    zip.add("debug/nodes/1/a.txt", "hello\n");
    zip.add("debug/b.json", "{}");
    const file = path.join(dir, "x.zip");
    fs.writeFileSync(file, zip.finish());
    assert.match(execFileSync("unzip", ["-l", file], { encoding: "utf8" }), /debug\/nodes\/1\/a\.txt/);
    execFileSync("unzip", ["-q", file, "-d", dir]);
    assert.strictEqual(fs.readFileSync(path.join(dir, "debug/nodes/1/a.txt"), "utf8"), "hello\n");
  });
});
