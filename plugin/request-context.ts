/**
 * What the Node provider server (@pulumi/pulumi/provider/server.js) does not
 * pass on to the provider's create/update: the request's `timeout`, which
 * the engine fills from the resource's customTimeouts.create/update
 * (seconds; 0 when none). The server's gRPC handlers are wrapped when it
 * registers them, so each create/update runs with its request's timeout in
 * an AsyncLocalStorage that provider.ts reads.
 *
 * The same wrapping mends Read for `pulumi import`: the engine sends no
 * `properties` at all (only the ID), and server.js calls
 * `req.getProperties().toJavaScript()`, which throws "Cannot read properties
 * of undefined (reading 'toJavaScript')" (the error the dynamic provider
 * fails import with). An empty Struct is put in their place.
 */
import { AsyncLocalStorage } from "async_hooks";
import * as path from "path";

export interface RequestContext {
  /** customTimeouts of this create/update, in ms; undefined when the program set none. */
  readonly timeoutMs?: number;
}

const store = new AsyncLocalStorage<RequestContext>();

/** The context of the create/update running in this async flow ({} elsewhere). */
export function currentRequest(): RequestContext {
  return store.getStore() ?? {};
}

/** Pure: a request's timeout (seconds, 0 = none) as ms. */
export function timeoutMsOf(seconds: number | undefined): number | undefined {
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}

interface Request {
  getTimeout?: () => number;
  getProperties?: () => unknown;
  setProperties?: (v: unknown) => void;
}
type Handler = (call: { request: Request }, callback: unknown) => unknown;
type Grpc = { Server: { prototype: { addService: (service: unknown, impl: Record<string, Handler>) => void } } };

/** The @grpc/grpc-js instance the SDK's server uses (resolved from @pulumi/pulumi, not from us). */
export function sdkGrpc(): Grpc {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  return require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] })) as Grpc;
}

/** An empty google.protobuf.Struct of the SDK's own protobuf runtime. */
function emptyStruct(): unknown {
  const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const pb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDir] })) as { Struct: new () => unknown };
  return new pb.Struct();
}

/**
 * Wraps create/update of every service registered while `during` runs (the
 * SDK's main registers one), then restores grpc's addService.
 */
export async function withRequestContext<R>(during: () => Promise<R>, grpc: Grpc = sdkGrpc()): Promise<R> {
  const proto = grpc.Server.prototype;
  const original = proto.addService;
  proto.addService = function (this: unknown, service: unknown, impl: Record<string, Handler>) {
    const wrapped = Object.create(impl) as Record<string, Handler>;
    for (const method of ["create", "update"]) {
      const fn = impl[method];
      if (typeof fn !== "function") continue;
      wrapped[method] = (call, callback) =>
        store.run({ timeoutMs: timeoutMsOf(call.request.getTimeout?.()) }, () => fn.call(impl, call, callback));
    }
    const read = impl.read;
    if (typeof read === "function")
      wrapped.read = (call, callback) => {
        if (call.request.getProperties?.() === undefined) call.request.setProperties?.(emptyStruct());
        return read.call(impl, call, callback);
      };
    return original.call(this, service, wrapped);
  };
  try {
    return await during();
  } finally {
    proto.addService = original;
  }
}
