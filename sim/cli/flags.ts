/**
 * A cobra-like flag parser for the `cockroach` commands: `--name=value`,
 * `--name value`, boolean flags (`--insecure`, `--insecure=false`), short
 * aliases (`-e`), repeated flags, and `--` ending the flags. Unknown flags
 * fail the way cobra reports them: `unknown flag: --foo`.
 */

export type FlagKind = "string" | "bool" | "strings";

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly short?: string;
}

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | boolean | string[]>;
  readonly positionals: readonly string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = long ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = long ? byName.get(key) : byShort.get(key);
    if (!spec) throw new UsageError(long ? `unknown flag: --${key}` : `unknown shorthand flag: '${key}' in ${arg}`);
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.kind === "bool") {
      if (value === undefined) flags.set(spec.name, true);
      else if (value === "true" || value === "false") flags.set(spec.name, value === "true");
      else
        throw new UsageError(
          `invalid argument "${value}" for "--${spec.name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: --${spec.name}`);
      value = args[++i];
    }
    if (spec.kind === "strings") {
      const prev = (flags.get(spec.name) as string[] | undefined) ?? [];
      flags.set(spec.name, [...prev, value]);
    } else {
      flags.set(spec.name, value);
    }
  }
  return { flags, positionals };
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function flagBool(p: ParsedArgs, name: string): boolean {
  return p.flags.get(name) === true;
}

export function flagStrings(p: ParsedArgs, name: string): string[] {
  const v = p.flags.get(name);
  return Array.isArray(v) ? v : [];
}

/** Flags every client command (node, sql, debug zip) accepts. */
export const CLIENT_FLAGS: readonly FlagSpec[] = [
  { name: "host", kind: "string" },
  { name: "port", kind: "string", short: "p" },
  { name: "insecure", kind: "bool" },
  { name: "certs-dir", kind: "string" },
  { name: "url", kind: "string" },
  { name: "user", kind: "string", short: "u" },
  { name: "cluster-name", kind: "string" },
  { name: "disable-cluster-name-verification", kind: "bool" },
  { name: "format", kind: "string" },
  { name: "timeout", kind: "string" },
  { name: "logtostderr", kind: "string" },
  { name: "log", kind: "string" },
  { name: "log-dir", kind: "string" },
];
