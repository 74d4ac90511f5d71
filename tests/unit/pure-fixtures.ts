/**
 * Shared fixtures of the pure-logic unit tests (versions, spec, plan, diff):
 * valid raw inputs, observed clusters, and a seeded generator for
 * property-style tests (deterministic, no dependency).
 */
import type { Clock } from "../../provider/rollout/guard";
import type { ClusterVersionInputs, NodeInput, ObservedCluster, ObservedNode, Spec } from "../../provider/core/types";

/** mulberry32: rand(n) is an integer in [0, n); the same seed gives the same sequence. */
export function seeded(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Node i (1-based) on its own loopback-style address; locality zone=<a|b|c> by i. */
export function nodeInput(i: number, extra: Partial<NodeInput> = {}): NodeInput {
  const host = `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  return {
    name: `n${i}`,
    sqlAddr: `${host}:26257`,
    httpAddr: `${host}:8080`,
    locality: `region=r1,zone=${"abc"[(i - 1) % 3]}`,
    binaryPath: "/usr/local/bin/cockroach",
    process: { manager: "cockroach", startFlags: ["--insecure", "--store=/data"], pidFile: "/var/run/cockroach.pid" },
    ...extra,
  };
}

/** Valid inputs for an n-node cluster at `version`. */
export function inputs(n = 3, version = "v23.1.11", extra: Partial<ClusterVersionInputs> = {}): ClusterVersionInputs {
  return { version, nodes: Array.from({ length: n }, (_, i) => nodeInput(i + 1)), sql: { insecure: true }, ...extra };
}

/** What a converged cluster looks like: every node live and ready on `build`. */
export function observedAll(spec: Spec, build: string, extra: Partial<ObservedCluster> = {}): ObservedCluster {
  return {
    nodes: spec.nodes.map((n, i) => observedNode(n.name, build, { nodeId: i + 1 })),
    clusterVersion: build.slice(1).split(".").slice(0, 2).join("."),
    unlistedNodeIds: [],
    ...extra,
  };
}

export function observedNode(name: string, build: string | undefined, extra: Partial<ObservedNode> = {}): ObservedNode {
  return {
    name,
    ...(build !== undefined && { build, binaryBuild: build }),
    process: "running",
    live: true,
    draining: false,
    ready: true,
    ...extra,
  };
}

/**
 * A clock for loops that take one (guard, gate loops): time moves only when
 * the code under test sleeps, and each sleep yields once to pending work.
 */
export class VirtualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    await Promise.resolve();
  }
}
