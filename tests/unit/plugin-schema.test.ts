/** The plugin's package schema (plugin/schema.ts): names, descriptions, types, secrets, and the committed schema.json. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildSchema, INPUTS, OUTPUTS, RESOURCE_TOKEN, schemaJson } from "../../plugin/schema";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ROOT = path.join(__dirname, "..", "..", "..");
const version: string = require(path.join(ROOT, "package.json")).version;
const schema = buildSchema(version) as Json;
const resource = schema.resources[RESOURCE_TOKEN] as Json;

/** Every property object anywhere in the schema, with where it is. */
function allProperties(): { where: string; spec: Json }[] {
  const out: { where: string; spec: Json }[] = [];
  for (const [t, def] of Object.entries(schema.types as Json))
    for (const [p, s] of Object.entries((def as Json).properties)) out.push({ where: `${t}.${p}`, spec: s as Json });
  for (const key of ["inputProperties", "properties"])
    for (const [p, s] of Object.entries(resource[key] as Json)) out.push({ where: `${key}.${p}`, spec: s as Json });
  return out;
}

describe("plugin/schema", () => {
  it("names the package crdb-upgrade and the resource crdb-upgrade:index:ClusterVersion", () => {
    assert.strictEqual(schema.name, "crdb-upgrade");
    assert.strictEqual(RESOURCE_TOKEN, "crdb-upgrade:index:ClusterVersion");
    assert.deepStrictEqual(Object.keys(schema.resources), [RESOURCE_TOKEN]);
    assert.strictEqual(schema.version, version);
  });

  it("has the dynamic resource's input and output names", () => {
    assert.deepStrictEqual(Object.keys(resource.inputProperties).sort(), ["hooks", "nodes", "release", "sql", "strategy", "version"]);
    assert.deepStrictEqual(resource.requiredInputs, ["version", "nodes"]);
    const outs = [
      "nodeStatuses",
      "clusterVersion",
      "finalized",
      "finalizeHint",
      "finalizationBlock",
      "lastRollout",
      "history",
      "providerVersion",
    ];
    assert.deepStrictEqual(Object.keys(resource.properties).sort(), [...Object.keys(INPUTS), ...outs].sort());
    assert.deepStrictEqual(Object.keys(OUTPUTS), outs);
  });

  it("describes every property and every type", () => {
    const missing = allProperties().filter((p) => typeof p.spec.description !== "string" || p.spec.description.length < 8);
    assert.deepStrictEqual(
      missing.map((p) => p.where),
      [],
    );
    for (const [t, def] of Object.entries(schema.types as Json)) assert.ok((def as Json).description, `${t} has a description`);
  });

  it('types durations as number or string, the process manager as a discriminated union, the connection as object or "local"', () => {
    const types = schema.types as Json;
    const strategy = types["crdb-upgrade:index:Strategy"].properties;
    assert.deepStrictEqual(strategy.waitAfterRejoin.oneOf, [{ type: "number" }, { type: "string" }]);
    assert.match(strategy.waitAfterRejoin.description, /"90s", "5m"/);
    const node = types["crdb-upgrade:index:Node"].properties;
    assert.deepStrictEqual(node.process.discriminator.propertyName, "manager");
    assert.deepStrictEqual(Object.keys(node.process.discriminator.mapping), ["cockroach", "systemd", "commands"]);
    assert.deepStrictEqual(node.connection.oneOf, [{ $ref: "#/types/crdb-upgrade:index:Connection" }, { type: "string" }]);
    for (const ref of [...node.process.oneOf, node.connection.oneOf[0]])
      assert.ok(types[ref.$ref.replace("#/types/", "")], `${ref.$ref} is defined`);
  });

  it("marks exactly the credential fields secret", () => {
    const secret = allProperties()
      .filter((p) => p.spec.secret === true)
      .map((p) => p.where)
      .sort();
    assert.deepStrictEqual(secret, [
      "crdb-upgrade:index:Connection.password",
      "crdb-upgrade:index:Connection.privateKey",
      "crdb-upgrade:index:Connection.privateKeyPassword",
      "crdb-upgrade:index:Hooks.backupCommand",
      "crdb-upgrade:index:Hooks.backupSql",
      "crdb-upgrade:index:Release.urlTemplate",
      "crdb-upgrade:index:Sql.password",
      "crdb-upgrade:index:SqlTls.key",
    ]);
  });

  it("schema.json is the generated schema (rewrite: `node dist/plugin/schema.js > schema.json && npx prettier --write schema.json`)", () => {
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")), JSON.parse(schemaJson(version)));
  });
});
