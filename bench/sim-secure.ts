/**
 * What security costs in the simulator: start of a 3-node cluster insecure
 * vs `--secure` (certificate generation included), and the time to open a
 * SQL session (connect + `SELECT 1`) in clear text, with TLS and root's
 * client certificate, and with TLS and a password. Medians over RUNS.
 *   node dist/bench/sim-secure.js [--runs 3] [--sessions 20]
 * Loopback range: 127.0.17.x (.40-.49 insecure, .50-.59 secure).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client, ClientConfig } from "pg";
import { downCluster } from "../sim/launcher/down";
import { ClusterInfo } from "../sim/launcher/layout";
import { upCluster } from "../sim/launcher/up";

const PASSWORD = "bench-pw";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds to connect, run SELECT 1 and close, `n` times. */
async function sessions(cfg: ClientConfig, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const c = new Client(cfg);
    await c.connect();
    await c.query("SELECT 1");
    await c.end();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

async function withCluster<T>(secure: boolean, fn: (info: ClusterInfo, startS: number) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-bench-secure-"));
  try {
    const t0 = process.hrtime.bigint();
    const info = await upCluster({
      dir,
      nodes: 3,
      version: "v23.1.11",
      baseIp: secure ? "127.0.17.50" : "127.0.17.40",
      timeScale: 0.1,
      ...(secure && { secure: true, rootPassword: PASSWORD }),
    });
    return await fn(info, Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    await downCluster(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = arg("runs", 3);
  const n = arg("sessions", 20);
  const start = { insecure: [] as number[], secure: [] as number[] };
  const session = { clear: [] as number[], cert: [] as number[], password: [] as number[] };
  for (let run = 1; run <= runs; run++) {
    await withCluster(false, async (info, s) => {
      start.insecure.push(s);
      const [host] = info.nodes[0].sqlAddr.split(":");
      session.clear.push(...(await sessions({ host, port: 26257, user: "root", database: "defaultdb" }, n)));
    });
    await withCluster(true, async (info, s) => {
      start.secure.push(s);
      const [host] = info.nodes[0].sqlAddr.split(":");
      const read = (f: string): Buffer => fs.readFileSync(path.join(info.certsDir!, f));
      const base = { host, port: 26257, user: "root", database: "defaultdb" };
      session.cert.push(
        ...(await sessions({ ...base, ssl: { ca: read("ca.crt"), cert: read("client.root.crt"), key: read("client.root.key") } }, n)),
      );
      session.password.push(...(await sessions({ ...base, password: PASSWORD, ssl: { ca: read("ca.crt") } }, n)));
    });
    process.stderr.write(
      `run ${run}: start insecure ${start.insecure[run - 1].toFixed(2)} s, secure ${start.secure[run - 1].toFixed(2)} s\n`,
    );
  }
  const rows: [string, string][] = [
    ["start 3-node cluster, insecure", `${median(start.insecure).toFixed(2)} s`],
    ["start 3-node cluster, --secure (+ certs, root password)", `${median(start.secure).toFixed(2)} s`],
    ["SQL session (connect, SELECT 1, close), clear text", `${median(session.clear).toFixed(1)} ms`],
    ["SQL session, TLS + client certificate", `${median(session.cert).toFixed(1)} ms`],
    ["SQL session, TLS + password", `${median(session.password).toFixed(1)} ms`],
  ];
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
  process.stdout.write(`sim security benchmarks (median of ${runs} runs, ${n} sessions each)\n`);
  for (const r of rows) process.stdout.write(`${r[0].padEnd(w[0])} | ${r[1]}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.message}\n`);
  process.exit(1);
});
