/**
 * The crdb-upgrade plugin as the engine starts it (bin/pulumi-resource-crdb-upgrade,
 * a real process printing its port), and a gRPC client speaking the Pulumi
 * provider protocol to it: the calls the engine makes, with the same
 * request messages. Without an engine address the plugin writes its log
 * lines to stderr, which `lines` collects.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./pulumi";

type Props = Record<string, unknown>;
/* eslint-disable @typescript-eslint/no-explicit-any */
const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
const rpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const pb = require("@pulumi/pulumi/proto/provider_pb");
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [sdkDir] }));
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDir] }));

export const URN = "urn:pulumi:test::plugin::crdb-upgrade:index:ClusterVersion::cluster";

export interface PluginProcess {
  readonly lines: string[];
  call<T>(method: string, req: unknown): Promise<T>;
  check(news: Props, olds?: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  create(props: Props, timeoutSec?: number): Promise<{ id: string; outs: Props }>;
  update(id: string, olds: Props, news: Props, timeoutSec?: number): Promise<Props>;
  read(id: string, props?: Props): Promise<{ id: string; props: Props; inputs: Props }>;
  cancel(): Promise<void>;
  stop(): Promise<void>;
}

/** A failed call's message and, for a partial failure, the outputs the engine would record. */
export function failureOf(e: unknown): { message: string; properties?: Props } {
  const err = e as { details?: string; message?: string; metadata?: any };
  const bin = err.metadata?.get?.("grpc-status-details-bin")?.[0];
  let properties: Props | undefined;
  if (bin) {
    const statusPb = require("@pulumi/pulumi/proto/status_pb");
    for (const any of statusPb.Status.deserializeBinary(bin).getDetailsList()) {
      const detail = pb.ErrorResourceInitFailed.deserializeBinary(any.getValue());
      properties = detail.getProperties().toJavaScript();
    }
  }
  return { message: err.details ?? err.message ?? String(e), properties };
}

export async function startPlugin(): Promise<PluginProcess> {
  const child: ChildProcess = spawn(path.join(REPO_ROOT, "bin", "pulumi-resource-crdb-upgrade"), [], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "";
  child.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
    const parts = err.split("\n");
    err = parts.pop() ?? "";
    lines.push(...parts);
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before printing its port:\n${lines.join("\n")}`)));
  });
  const client = new rpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](req, (e: unknown, res: T) => (e ? reject(e) : resolve(res))));
  const struct = (v: Props) => structPb.Struct.fromJavaScript(v);
  return {
    lines,
    call,
    async check(news, olds = {}) {
      const req = new pb.CheckRequest();
      req.setUrn(URN);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res: any = await call("check", req);
      return {
        inputs: res.getInputs().toJavaScript(),
        failures: res.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async create(props, timeoutSec = 0) {
      const req = new pb.CreateRequest();
      req.setUrn(URN);
      req.setProperties(struct(props));
      req.setTimeout(timeoutSec);
      const res: any = await call("create", req);
      return { id: res.getId(), outs: res.getProperties().toJavaScript() };
    },
    async update(id, olds, news, timeoutSec = 0) {
      const req = new pb.UpdateRequest();
      req.setId(id);
      req.setUrn(URN);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      req.setTimeout(timeoutSec);
      const res: any = await call("update", req);
      return res.getProperties().toJavaScript();
    },
    async read(id, props) {
      const req = new pb.ReadRequest();
      req.setId(id);
      req.setUrn(URN);
      if (props) req.setProperties(struct(props)); // import: the engine sends the ID alone
      const res: any = await call("read", req);
      return { id: res.getId(), props: res.getProperties()?.toJavaScript() ?? {}, inputs: res.getInputs()?.toJavaScript() ?? {} };
    },
    async cancel() {
      await call("cancel", new emptyPb.Empty());
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    },
  };
}
