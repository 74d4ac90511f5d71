/**
 * The plugin's Pulumi package schema, built from the property table
 * (schema-types.ts) and the resource's own inputs and outputs below. The
 * same JSON is served by GetSchema and committed as schema.json (a unit test
 * holds them equal; `node dist/plugin/schema.js > schema.json && npx prettier --write schema.json`
 * rewrites it).
 */
import { DURATION_HELP, OBJECT_TYPES, type Prop, type T } from "./schema-types";

export const PACKAGE = "crdb-upgrade";
export const RESOURCE_TOKEN = `${PACKAGE}:index:ClusterVersion`;
const typeToken = (name: string): string => `${PACKAGE}:index:${name}`;

const REQ = { required: true } as const;

/** The resource's inputs: the dynamic resource's `ClusterVersionArgs`. */
export const INPUTS: Readonly<Record<string, Prop>> = {
  version: ["string", 'The CockroachDB release every node should run, e.g. "v23.1.12".', REQ],
  nodes: [{ list: { ref: "Node" } }, "The cluster's nodes.", REQ],
  sql: [{ ref: "Sql" }, "How the provider connects to the cluster over SQL."],
  release: [{ ref: "Release" }, "Where release tarballs come from and how they are verified."],
  strategy: [{ ref: "Strategy" }, "How the roll proceeds: order, canary, bakes, gates, deadlines, batching, finalization."],
  hooks: [{ ref: "Hooks" }, "Backups and evidence around the roll."],
};

/** What the resource reports besides its echoed inputs: the dynamic resource's outputs. */
export const OUTPUTS: Readonly<Record<string, Prop>> = {
  nodeStatuses: [{ list: { ref: "NodeStatus" } }, "What each node runs, as last observed.", REQ],
  clusterVersion: ["string", '`SHOW CLUSTER SETTING version`, e.g. "23.1" (or a transition string while finalizing).'],
  finalized: ["boolean", "False while a major upgrade is rolled but not finalized (rollback still possible).", REQ],
  finalizeHint: ["string", "How to finalize, when a major upgrade is left unfinalized."],
  finalizationBlock: [{ ref: "FinalizationBlock" }, "The auto-finalization block this provider set, so it can be restored."],
  lastRollout: ["any", "The last rollout's record: per node and per phase, start time, duration, gate samples; the outcome and any error."],
  history: [{ list: { ref: "HistoryEntry" } }, "The last rollouts, oldest first.", REQ],
  providerVersion: ["string", "The plugin version that wrote the state (a new version re-reads the cluster once)."],
};

type Json = Record<string, unknown>;

function typeSpec(t: T): Json {
  if (t === "duration") return { oneOf: [{ type: "number" }, { type: "string" }] };
  if (t === "any") return { $ref: "pulumi.json#/Any" };
  if (typeof t === "string") return { type: t };
  if ("ref" in t) return { $ref: `#/types/${typeToken(t.ref)}` };
  if ("list" in t) return { type: "array", items: typeSpec(t.list) };
  const spec: Json = { oneOf: t.oneOf.map(typeSpec) };
  if (t.discriminator) {
    const mapping = Object.fromEntries(Object.entries(t.discriminator.mapping).map(([k, v]) => [k, `#/types/${typeToken(v)}`]));
    spec.discriminator = { propertyName: t.discriminator.propertyName, mapping };
  }
  return spec;
}

function property([t, description, flags]: Prop): Json {
  const text = t === "duration" ? `${description} A duration: ${DURATION_HELP}.` : description;
  return { ...typeSpec(t), description: text, ...(flags?.secret ? { secret: true } : {}) };
}

function properties(props: Readonly<Record<string, Prop>>): { properties: Json; required: string[] } {
  const out: Json = {};
  for (const [name, p] of Object.entries(props)) out[name] = property(p);
  const required = Object.entries(props)
    .filter(([, p]) => p[2]?.required)
    .map(([n]) => n);
  return { properties: out, required };
}

/** The package schema, as an object (JSON.stringify it for GetSchema). */
export function buildSchema(version: string): Json {
  const types: Json = {};
  for (const [name, o] of Object.entries(OBJECT_TYPES)) {
    const { properties: props, required } = properties(o.properties);
    types[typeToken(name)] = { type: "object", description: o.description, properties: props, ...(required.length ? { required } : {}) };
  }
  const inputs = properties(INPUTS);
  const outputs = properties({ ...INPUTS, ...OUTPUTS });
  return {
    name: PACKAGE,
    displayName: "CockroachDB rolling upgrade",
    version,
    description: "Owns the version of a self-hosted CockroachDB cluster and rolls it one node at a time, health-gated, with rollback.",
    keywords: ["cockroachdb", "rolling-upgrade", "kind/native", "category/database"],
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    language: {
      nodejs: { packageName: "@crdb-upgrade/sdk", dependencies: { "@pulumi/pulumi": "^3.0.0" } },
      python: { packageName: "pulumi_crdb_upgrade" },
      go: { importBasePath: "example.com/crdb-upgrade/sdk/go/crdbupgrade", generateResourceContainerTypes: false },
      csharp: { rootNamespace: "CrdbUpgrade", packageReferences: { Pulumi: "3.*" } },
    },
    config: {},
    provider: { description: "The crdb-upgrade provider. It has no configuration." },
    types,
    resources: {
      [RESOURCE_TOKEN]: {
        description:
          'Owns the version of a self-hosted CockroachDB cluster. Changing `version` rolls the cluster one node at a time (drain, stop, swap, start, health gate, bake) and rolls touched nodes back on failure. Deleting the resource only forgets it: no node is ever stopped by a delete. Import with an ID naming how to reach the cluster (see the README, "Import ID").',
        inputProperties: inputs.properties,
        requiredInputs: inputs.required,
        properties: outputs.properties,
        required: outputs.required,
      },
    },
  };
}

/** The schema as GetSchema serves it and schema.json holds it. */
export function schemaJson(version: string): string {
  return `${JSON.stringify(buildSchema(version), null, 2)}\n`;
}

if (require.main === module) process.stdout.write(schemaJson(require("../../package.json").version));
