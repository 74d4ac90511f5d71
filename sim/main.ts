/**
 * `npm run sim -- <command>`: the simulator's launcher.
 *   release vX.Y.Z --out DIR [--fault NAME[,NAME]]   write a release tarball + .sha256sum
 *   serve DIR [--host 127.0.0.1] [--port 0]           serve a directory; prints {"url": ...}
 *   up --dir DIR --nodes N --version vX.Y.Z [--base-ip 127.0.0.10] [--localities "a;b;c"]
 *      [--time-scale F] [--liveness-ttl S] [--secure [--root-password P]] [--split-sql]
 *                                                     start a cluster; prints the cluster JSON
 *   down --dir DIR [--grace S]                        stop every process of the cluster (SIGKILL after S, default 0.3)
 *   status --dir DIR                                  print the cluster JSON with live pids
 *   inject --dir DIR [--clear] [--decommissioning ID[,ID]] [--invalid-object "db.schema.name=error"]
 *          [--job "TYPE|status|description"]      test hook: state the simulator does not produce itself
 *   fabric --dir DIR                                  (internal) the cluster's state process
 * Only the JSON goes to stdout; progress and errors go to stderr.
 */
import { FlagSpec, ParsedArgs, UsageError, flagBool, flagString, parseFlags } from "./cli/flags";

const str = (name: string): FlagSpec => ({ name, kind: "string" });

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "release": {
      const p = parseFlags(rest, [str("out"), str("fault")]);
      const version = one(p, "release vX.Y.Z --out DIR");
      const { buildRelease } = await import("./launcher/release");
      const r = buildRelease(version, required(p, "out"), flagString(p, "fault") ?? "");
      print({ tarball: r.tarball, sha256: r.sha256, sha256File: r.sha256File });
      return 0;
    }
    case "serve": {
      const p = parseFlags(rest, [str("host"), str("port")]);
      const dir = one(p, "serve DIR");
      const { serveDirectory } = await import("./launcher/serve");
      const s = await serveDirectory(dir, flagString(p, "host") ?? "127.0.0.1", Number(flagString(p, "port") ?? 0));
      print({ url: s.url });
      const stop = (): void => void s.close().then(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      return new Promise<number>(() => undefined);
    }
    case "up": {
      const p = parseFlags(rest, [
        ...["dir", "nodes", "version", "base-ip", "localities", "time-scale", "liveness-ttl", "root-password"].map(str),
        { name: "secure", kind: "bool" },
        { name: "split-sql", kind: "bool" },
      ]);
      const { upCluster } = await import("./launcher/up");
      const info = await upCluster({
        dir: required(p, "dir"),
        nodes: Number(required(p, "nodes")),
        version: required(p, "version"),
        baseIp: flagString(p, "base-ip"),
        localities: flagString(p, "localities")
          ?.split(";")
          .map((s) => s.trim()),
        timeScale: optionalNumber(p, "time-scale"),
        livenessTtlS: optionalNumber(p, "liveness-ttl"),
        secure: flagBool(p, "secure"),
        splitSql: flagBool(p, "split-sql"),
        rootPassword: flagString(p, "root-password"),
        log: (line) => process.stderr.write(line + "\n"),
      });
      print(info);
      return 0;
    }
    case "down": {
      const p = parseFlags(rest, [str("dir"), str("grace")]);
      const { downCluster } = await import("./launcher/down");
      const grace = optionalNumber(p, "grace");
      const stopped = await downCluster(required(p, "dir"), grace === undefined ? {} : { graceMs: grace * 1000 });
      process.stderr.write(`stopped ${stopped.length} process(es)\n`);
      return 0;
    }
    case "status": {
      const p = parseFlags(rest, [str("dir")]);
      const { clusterInfo, readPlan } = await import("./launcher/layout");
      print(clusterInfo(readPlan(required(p, "dir"))));
      return 0;
    }
    case "inject": {
      const p = parseFlags(rest, [...["dir", "decommissioning", "invalid-object", "job"].map(str), { name: "clear", kind: "bool" }]);
      const { injectIntoCluster, injectRequest } = await import("./launcher/inject");
      const req = injectRequest({
        clear: flagBool(p, "clear"),
        decommissioning: flagString(p, "decommissioning"),
        invalidObject: flagString(p, "invalid-object"),
        job: flagString(p, "job"),
      });
      await injectIntoCluster(required(p, "dir"), req);
      return 0;
    }
    case "fabric": {
      const p = parseFlags(rest, [str("dir")]);
      const { runFabric } = await import("./fabric/main");
      await runFabric(required(p, "dir"));
      return new Promise<number>(() => undefined);
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd ?? "")}; commands: release, serve, up, down, status, inject`);
  }
}

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

function required(p: ParsedArgs, name: string): string {
  const v = flagString(p, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

function one(p: ParsedArgs, usage: string): string {
  if (p.positionals.length !== 1) throw new UsageError(`usage: npm run sim -- ${usage}`);
  return p.positionals[0];
}

function optionalNumber(p: ParsedArgs, name: string): number | undefined {
  const v = flagString(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`sim: ${e.message}\n`);
    process.exit(1);
  },
);
