/**
 * Which authentication methods a connection offers, in which order, and the
 * checks that make a bad private key fail before any dial with a message that
 * names the problem, never the key or its passphrase.
 *
 * Order (as @pulumi/command 1.x): private key, then password (also answered
 * to keyboard-interactive prompts, which PAM-based servers use for
 * passwords), then the agent at `agentSocketPath`, or at $SSH_AUTH_SOCK when
 * no path is given.
 */
import type { AnyAuthMethod, ParsedKey } from "ssh2";
import { TransportError } from "../core/errors";
import type { Connection } from "../core/types";

export interface AuthPlan {
  readonly methods: readonly AnyAuthMethod[];
  /** Method names in order, for "methods tried: ..." in errors. */
  readonly names: readonly string[];
}

type Ssh2Utils = { parseKey(data: string, passphrase?: string): ParsedKey | ParsedKey[] | Error };

/** Builds the auth methods; throws TransportError when nothing usable is configured or the key is unusable. */
export function planAuth(conn: Connection, description: string, env: NodeJS.ProcessEnv = process.env): AuthPlan {
  const methods: AnyAuthMethod[] = [];
  const username = conn.user;
  if (conn.privateKey !== undefined && conn.privateKey !== "") {
    methods.push({ type: "publickey", username, key: parsePrivateKey(conn, description) });
  }
  if (conn.password !== undefined && conn.password !== "") {
    const password = conn.password;
    methods.push({ type: "password", username, password });
    methods.push({
      type: "keyboard-interactive",
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  const agent = conn.agentSocketPath || env.SSH_AUTH_SOCK;
  if (agent) methods.push({ type: "agent", username, agent });
  if (methods.length === 0) {
    throw new TransportError(
      description,
      "no authentication method configured",
      "set connection.privateKey, connection.password or connection.agentSocketPath (or SSH_AUTH_SOCK)",
    );
  }
  return { methods, names: methods.map((m) => m.type) };
}

/**
 * Parses (and decrypts) the private key up front, so that a wrong or missing
 * passphrase is reported as such instead of as a refused login.
 */
function parsePrivateKey(conn: Connection, description: string): ParsedKey {
  const { utils } = require("ssh2") as { utils: Ssh2Utils };
  const passphrase = conn.privateKeyPassword || undefined;
  let parsed: ParsedKey | ParsedKey[] | Error;
  try {
    parsed = utils.parseKey(conn.privateKey!, passphrase);
  } catch (e) {
    parsed = e instanceof Error ? e : new Error(String(e));
  }
  if (parsed instanceof Error)
    throw new TransportError(description, "privateKey cannot be used", keyProblem(parsed.message, passphrase !== undefined));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || !key.isPrivateKey()) {
    throw new TransportError(description, "privateKey cannot be used", "it holds no private key (a public key was given?)");
  }
  return key;
}

/**
 * Rewords ssh2's parse errors. Only these fixed texts are returned, so a
 * library message can never carry key material into our errors.
 */
function keyProblem(message: string, hadPassphrase: boolean): string {
  if (/no passphrase/i.test(message)) return "it is encrypted and privateKeyPassword is not set";
  if (/bad decrypt|passphrase|integrity check|decrypt/i.test(message)) {
    return hadPassphrase ? "privateKeyPassword does not decrypt it" : "it is encrypted and privateKeyPassword is not set";
  }
  if (/unsupported/i.test(message)) return "unsupported key type or format (use an OpenSSH or PEM ed25519, ecdsa or rsa key)";
  return "not a private key in OpenSSH or PEM format";
}
