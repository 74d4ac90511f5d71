/**
 * Progress attached to the resource: the engine's Log RPC with the
 * resource's URN (the dynamic provider can only print to stdout, which the
 * engine files under the stack). Gate waits go out as ephemeral lines
 * (LogRequest.ephemeral: the display shows them in the resource's status
 * column and drops them from the summary).
 *
 * Every text passed here is already redacted (lifecycle.ts's sink, or
 * status.ts with the inputs' literal secrets).
 */
import * as path from "path";

export type Severity = "debug" | "info" | "warning" | "error";

export interface EngineLog {
  log(severity: Severity, message: string, urn: string, ephemeral?: boolean): void;
}

type Proto = typeof import("@pulumi/pulumi/proto/engine_pb");

/** A log over the engine's gRPC endpoint; without one (tests, tools), lines go to stderr. */
export function engineLog(engineAddr: string | undefined): EngineLog {
  if (!engineAddr) return stderrLog;
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as typeof import("@grpc/grpc-js");
  const rpc = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
  const pb = require("@pulumi/pulumi/proto/engine_pb") as Proto;
  const client = new rpc.EngineClient(engineAddr, grpc.credentials.createInsecure());
  const severities: Record<Severity, number> = {
    debug: pb.LogSeverity.DEBUG,
    info: pb.LogSeverity.INFO,
    warning: pb.LogSeverity.WARNING,
    error: pb.LogSeverity.ERROR,
  };
  return {
    log(severity, message, urn, ephemeral = false) {
      const req = new pb.LogRequest();
      req.setSeverity(severities[severity] as never);
      req.setMessage(message);
      req.setUrn(urn);
      req.setEphemeral(ephemeral);
      client.log(req, (err) => {
        // The engine gone (or not listening): the line is not lost, stderr reaches its debug log.
        if (err) stderrLog.log(severity, message, urn, ephemeral);
      });
    },
  };
}

const stderrLog: EngineLog = {
  log(severity, message, _urn, ephemeral) {
    if (!ephemeral) process.stderr.write(`${severity}: ${message}\n`);
  },
};

/** The engine address among a plugin's arguments (the engine may prepend --logtostderr, -v=N, --tracing <addr>). */
export function engineAddressFrom(args: readonly string[]): string | undefined {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--logtostderr" || args[i].startsWith("-v=")) continue;
    if (args[i] === "--tracing") {
      i++;
      continue;
    }
    rest.push(args[i]);
  }
  return rest[0];
}
