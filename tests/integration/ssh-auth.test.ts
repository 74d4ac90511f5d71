/**
 * Host-key pinning and authentication against a real sshd: every accepted
 * form of `hostKey`, refusal of unknown and changed keys before any login,
 * key / passphrase / password / agent logins, and refusals whose messages
 * name user@host:port and the methods tried but never a secret.
 * Loopback 127.0.40.5-6.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as net from "net";
import { isTransportError } from "../../provider/core/errors";
import { SshTransport } from "../../provider/transport/ssh";
import { fingerprintOf } from "../../provider/spec/host-key";
import type { Connection } from "../../provider/core/types";
import { assertNoSecrets, sshConnection } from "../support/ssh-connection";
import {
  createHostAdmin,
  createTestUser,
  generateKeyPair,
  startSshAgent,
  type HostAdmin,
  type KeyPair,
  type TestUser,
} from "../support/ssh-identities";
import { startSshd, type SshdServer } from "../support/sshd";

const HOST = "127.0.40.5";

describe("provider/transport/ssh host keys and logins against a real sshd", function () {
  this.timeout(60_000);
  let server: SshdServer;
  let key: KeyPair;
  let encrypted: KeyPair;
  let pem: KeyPair;
  let stranger: KeyPair;
  let admin: HostAdmin;
  let user: TestUser;
  const PASSPHRASE = "correct horse battery staple";
  const captured: string[] = [];

  before(async () => {
    key = generateKeyPair();
    encrypted = generateKeyPair({ passphrase: PASSPHRASE });
    pem = generateKeyPair({ type: "rsa", format: "pem", passphrase: PASSPHRASE });
    stranger = generateKeyPair();
    admin = createHostAdmin();
    user = createTestUser();
    server = await startSshd({ host: HOST, authorizedKeys: [key.publicKey, encrypted.publicKey, pem.publicKey], passwordAuth: true });
  });
  after(async () => {
    assertNoSecrets(captured, [key?.privateKey, encrypted?.privateKey, pem?.privateKey, stranger?.privateKey, PASSPHRASE, user?.password]);
    await server?.stop();
    user?.remove();
    admin?.remove();
    for (const k of [key, encrypted, pem, stranger]) k?.remove();
  });

  function conn(extra: Partial<Connection>): Connection {
    return sshConnection(server, { user: admin.name, privateKey: key.privateKey, ...extra });
  }

  async function whoRuns(c: Connection): Promise<string> {
    const t = new SshTransport(c);
    try {
      const r = await t.exec(["sh", "-c", 'echo "$LOGNAME"']);
      captured.push(r.stdout, r.stderr);
      return r.stdout.trim();
    } finally {
      await t.close();
    }
  }

  async function refusal(c: Connection): Promise<Error> {
    const t = new SshTransport(c);
    try {
      await t.exec(["touch", "/tmp/must-not-exist"]);
    } catch (e) {
      captured.push((e as Error).message);
      assert.ok(isTransportError(e), String(e));
      return e as Error;
    } finally {
      await t.close();
    }
    throw new Error("expected the connection to be refused");
  }

  const sessionsStarted = (): number => (server.log().match(/Starting session/g) ?? []).length;
  const logins = (): number => (server.log().match(/Accepted (publickey|password|keyboard-interactive)/g) ?? []).length;

  describe("host keys", () => {
    it("refuses a host whose key is not pinned, naming the host and the fingerprint it presents, before logging in", async () => {
      const [loginsBefore, sessionsBefore] = [logins(), sessionsStarted()];
      const err = await refusal(conn({ hostKey: undefined }));
      assert.strictEqual(err.message.split(": ")[0], `ssh ${admin.name}@${HOST}:22`);
      assert.match(err.message, /host key not pinned: the server presents ssh-ed25519 SHA256:/);
      assert.ok(err.message.includes(server.fingerprint), `${err.message} names ${server.fingerprint}`);
      assert.deepStrictEqual([logins(), sessionsStarted()], [loginsBefore, sessionsBefore]);
    });

    it("refuses a changed host key, naming the presented and the pinned fingerprints, before logging in", async () => {
      const loginsBefore = logins();
      const err = await refusal(conn({ hostKey: stranger.publicKey }));
      assert.match(
        err.message,
        /host key mismatch: the server presents ssh-ed25519 SHA256:\S+, but connection\.hostKey pins ssh-ed25519 SHA256:/,
      );
      assert.ok(err.message.includes(server.fingerprint));
      assert.strictEqual(logins(), loginsBefore);
    });

    it("refuses a malformed hostKey without dialing", async () => {
      const connectionsBefore = (server.log().match(/Connection from/g) ?? []).length;
      const err = await refusal(conn({ hostKey: "ssh-ed25519 not-base64!" }));
      assert.match(err.message, /connection\.hostKey cannot be used: missing or malformed base64 key data after ssh-ed25519/);
      assert.strictEqual((server.log().match(/Connection from/g) ?? []).length, connectionsBefore);
    });

    it("accepts the key pinned as an authorized_keys line, as a SHA256 fingerprint, or as ssh-keyscan output", async () => {
      const keyscan = spawnSync("/usr/bin/ssh-keyscan", ["-p", "22", HOST], { encoding: "utf8" });
      assert.strictEqual(keyscan.status, 0, keyscan.stderr);
      for (const hostKey of [server.hostKey, server.fingerprint, keyscan.stdout]) {
        assert.strictEqual(await whoRuns(conn({ hostKey })), admin.name);
      }
    });

    it("asks the server for the pinned key's type, so pinning its ecdsa key works although ed25519 is preferred", async () => {
      const ecdsa = server.hostKeys.find((k) => k.startsWith("ecdsa-"))!;
      assert.strictEqual(await whoRuns(conn({ hostKey: ecdsa })), admin.name);
    });

    it("finds the host key a fingerprint belongs to, asking for the server's other key types in turn", async () => {
      const ecdsa = server.hostKeys.find((k) => k.startsWith("ecdsa-"))!;
      const ecdsaFingerprint = fingerprintOf(Buffer.from(ecdsa.split(" ")[1], "base64"));
      assert.strictEqual(await whoRuns(conn({ hostKey: ecdsaFingerprint })), admin.name);
    });

    it("names every key the server presented when a fingerprint matches none of them", async () => {
      const err = await refusal(conn({ hostKey: fingerprintOf(Buffer.from(stranger.publicKey.split(" ")[1], "base64")) }));
      assert.match(
        err.message,
        /host key mismatch: the server presents ssh-ed25519 SHA256:\S+ and ecdsa-sha2-nistp256 SHA256:\S+, but connection\.hostKey pins SHA256:/,
      );
    });

    it(`trusts any host key only when told "insecure-accept-any"`, async () => {
      assert.strictEqual(await whoRuns(conn({ hostKey: "insecure-accept-any" })), admin.name);
    });
  });

  describe("logins", () => {
    it("logs in with a passphrase-protected OpenSSH key and with a passphrase-protected PEM RSA key", async () => {
      assert.strictEqual(await whoRuns(conn({ privateKey: encrypted.privateKey, privateKeyPassword: PASSPHRASE })), admin.name);
      assert.strictEqual(await whoRuns(conn({ privateKey: pem.privateKey, privateKeyPassword: PASSPHRASE })), admin.name);
    });

    it("says an encrypted key lacks its passphrase, or that the passphrase is wrong, without dialing", async () => {
      const connectionsBefore = (server.log().match(/Connection from/g) ?? []).length;
      const missing = await refusal(conn({ privateKey: encrypted.privateKey }));
      assert.strictEqual(
        missing.message,
        `ssh ${admin.name}@${HOST}:22: privateKey cannot be used: it is encrypted and privateKeyPassword is not set`,
      );
      const wrong = await refusal(conn({ privateKey: encrypted.privateKey, privateKeyPassword: "not it" }));
      assert.strictEqual(wrong.message, `ssh ${admin.name}@${HOST}:22: privateKey cannot be used: privateKeyPassword does not decrypt it`);
      const garbage = await refusal(conn({ privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n" }));
      assert.match(garbage.message, /privateKey cannot be used: /);
      assert.strictEqual((server.log().match(/Connection from/g) ?? []).length, connectionsBefore);
    });

    it("logs in with a password as a real unix user and runs commands as that user", async () => {
      assert.strictEqual(await whoRuns(conn({ user: user.name, privateKey: undefined, password: user.password })), user.name);
    });

    it("refuses a wrong password once (no retries), naming user@host:port and the methods tried", async () => {
      const started = Date.now();
      const err = await refusal(conn({ user: user.name, privateKey: undefined, password: "wrong-" + user.password, dialErrorLimit: 5 }));
      assert.match(
        err.message,
        new RegExp(
          `^ssh ${user.name}@${HOST.replace(/\./g, "\\.")}:22: authentication failed for ${user.name}@127\\.0\\.40\\.5:22: the server refused every method tried \\(password, keyboard-interactive(, agent)?\\)$`,
        ),
      );
      assert.ok(Date.now() - started < 5_000, "an auth failure is not retried with backoff");
    });

    it("refuses a key the host does not authorize", async () => {
      const err = await refusal(conn({ privateKey: stranger.privateKey }));
      assert.match(
        err.message,
        /authentication failed for crdbr\w+@127\.0\.40\.5:22: the server refused every method tried \(publickey(, agent)?\)$/,
      );
    });

    it("logs in through a real ssh-agent holding the key", async () => {
      const agent = await startSshAgent(key.file);
      try {
        assert.strictEqual(await whoRuns(conn({ privateKey: undefined, agentSocketPath: agent.socket })), admin.name);
      } finally {
        await agent.stop();
      }
    });

    it("says so when no authentication method is configured", async () => {
      const saved = process.env.SSH_AUTH_SOCK;
      delete process.env.SSH_AUTH_SOCK;
      try {
        const err = await refusal(conn({ privateKey: undefined }));
        assert.match(
          err.message,
          /no authentication method configured: set connection\.privateKey, connection\.password or connection\.agentSocketPath/,
        );
      } finally {
        if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
      }
    });
  });

  describe("dial timeouts", () => {
    it("gives each dial perDialTimeout to complete the handshake, then gives up after dialErrorLimit attempts", async () => {
      // A TCP listener that never speaks SSH: the handshake can only time out.
      const silent = net.createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(22, "127.0.40.6", r));
      try {
        const started = Date.now();
        const err = await refusal(conn({ host: "127.0.40.6", perDialTimeoutMs: 1_000, dialErrorLimit: 2 }));
        const ms = Date.now() - started;
        assert.match(err.message, /cannot connect after 2 attempts: no SSH handshake within 1s \(perDialTimeout\)$/);
        assert.ok(ms >= 2_400 && ms < 6_000, `took ${ms} ms (2 × 1 s + 0.5 s backoff)`);
      } finally {
        silent.close();
      }
    });
  });
});
