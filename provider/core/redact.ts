/**
 * The one masking function. Every message, error and output that may contain
 * a URL, a SQL statement, a command line or a command's output goes through
 * `redact` before it leaves the provider (progress lines, errors, outputs such
 * as lastRollout; lifecycle.ts applies it at that boundary, see
 * redact-boundary.ts). Call it yourself too when you build such a message:
 *
 *   throw new Error(redact(`cannot fetch ${url}: ${stderr}`));
 *
 * What it masks (each replaced by the word "redacted", as CockroachDB does):
 * - literal secret values the caller passes (the spec's passwords, keys,
 *   backup command, and the credential values found in its URLs and SQL);
 * - PEM private key blocks;
 * - URL userinfo (`scheme://user:pass@host` -> `scheme://redacted@host`): the
 *   whole userinfo, since a token is often given as the user name;
 * - credential query parameters of URLs: the names CockroachDB registers
 *   (CREDENTIAL_PARAMS) and any name that reads as a credential (secret,
 *   token, password, key not ending in id/name...), matched case-insensitively
 *   after percent-decoding;
 * - the path of KMS URIs (the master key id), as CockroachDB's RedactKMSURI;
 * - `NAME=value` and `--name value` pairs whose name reads as a credential
 *   (environment assignments and flags in commands and their output);
 * - `Authorization: [Bearer|Basic] <value>` and JSON `"password": "..."` pairs;
 * - SQL string literals given to PASSWORD, ENCRYPTION_PASSPHRASE and other
 *   credential-named options (`WITH PASSWORD '...'`).
 * Text without any of these comes back unchanged, byte for byte.
 *
 * Pure: no I/O, no state.
 */

export const REDACTED = "redacted";

/**
 * Query parameters CockroachDB itself redacts in external-storage URIs
 * (`cloud.SanitizeExternalStorageURI`, pkg/cloud/impl_registry.go, replaces the
 * value of every name a provider registered with `cloud.RedactedParams(...)`):
 * - pkg/cloud/amazon/s3_storage.go: RedactedParams(AWSSecretParam, AWSTempTokenParam)
 *   = AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
 * - pkg/cloud/gcp/gcs_storage.go: RedactedParams(CredentialsParam, BearerTokenParam)
 *   = CREDENTIALS, BEARER_TOKEN;
 * - pkg/cloud/azure/azure_storage.go: RedactedParams(AzureAccountKeyParam) = AZURE_ACCOUNT_KEY;
 * - changefeed sinks (pkg/ccl/changefeedccl changefeedJobDescription passes extra
 *   params): sasl_password, ca_cert, client_cert.
 * Added here although CockroachDB's registration omits them: AZURE_CLIENT_SECRET
 * (a credential parsed by azure_storage.go as AzureClientSecretParam),
 * client_key and sasl_client_secret (sink credentials). The generic name test
 * below catches them too; the list documents the source.
 */
export const CREDENTIAL_PARAMS: readonly string[] = [
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "CREDENTIALS",
  "BEARER_TOKEN",
  "AZURE_ACCOUNT_KEY",
  "AZURE_CLIENT_SECRET",
  "sasl_password",
  "sasl_client_secret",
  "ca_cert",
  "client_cert",
  "client_key",
];

const LISTED = new Set(CREDENTIAL_PARAMS.map((p) => p.toLowerCase()));
/** Words that make a parameter, variable or flag name a credential. */
const CREDENTIAL_WORDS = /secret|token|passw|pwd|passphrase|credential|signature|private|apikey|api_key|api-key/;
/**
 * KMS URI schemes (BACKUP ... WITH kms = '...'): their path is the master key
 * id, which CockroachDB's RedactKMSURI (pkg/storage/cloudimpl/kms.go, later
 * pkg/cloud) replaces by "/redacted" after SanitizeExternalStorageURI.
 */
const KMS_SCHEMES = new Set(["aws-kms", "gcp-kms", "gs-kms", "azure-kms"]);

/** Whether a parameter / variable / flag name names a credential (case-insensitive, percent-decoded). */
export function isCredentialName(rawName: string): boolean {
  const name = safeDecode(rawName).toLowerCase().replace(/^-+/, "");
  if (LISTED.has(name)) return true;
  if (CREDENTIAL_WORDS.test(name)) return true;
  if (name === "sig" || name === "auth_token" || name === "access_token") return true;
  // A key is a secret, its id or name is not (AWS_ACCESS_KEY_ID, key_name).
  return /key/.test(name) && !/(id|name)$/.test(name);
}

/**
 * Masks credentials in `text`. `secrets`: literal values to mask wherever they
 * appear (values shorter than 4 characters are ignored: masking them would
 * mangle ordinary words without protecting anything).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  if (typeof text !== "string" || text.length === 0) return text;
  let out = maskLiterals(text, secrets);
  out = out.replace(PEM_PRIVATE_KEY, (_m, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----${REDACTED}-----END ${kind}PRIVATE KEY-----`);
  out = out.replace(SQL_SECRET_LITERAL, (m, name: string, sep: string) => (isCredentialName(name) ? `${name}${sep}'${REDACTED}'` : m));
  out = out.replace(URL_TOKEN, (url) => redactUrl(url));
  out = out.replace(AUTH_HEADER, (_m, head: string) => `${head.trimEnd()} ${REDACTED}`);
  out = out.replace(JSON_PAIR, (m, name: string, sep: string, value: string) =>
    isCredentialName(name) && value !== `"${REDACTED}"` ? `"${name}"${sep}"${REDACTED}"` : m,
  );
  out = out.replace(ASSIGNMENT, (m, lead: string, name: string, value: string) =>
    isCredentialName(name) && !isRedacted(value) ? `${lead}${name}=${REDACTED}` : m,
  );
  out = out.replace(FLAG_WITH_VALUE, (m, lead: string, flag: string, gap: string, value: string) =>
    isCredentialName(flag) && !isRedacted(value) ? `${lead}${flag}${gap}${REDACTED}` : m,
  );
  return out;
}

/**
 * The credential values `redact` would mask in `text` (userinfo, credential
 * parameter values, SQL secret literals), decoded as well as raw: added to the
 * literal secrets so that they are masked wherever else they show up (a
 * server's error message that quotes the key, say).
 */
export function credentialValuesIn(text: string | undefined): string[] {
  if (!text) return [];
  const found: string[] = [];
  for (const m of text.matchAll(URL_TOKEN)) {
    const parts = splitUrl(m[0]);
    if (parts.userinfo) found.push(...userinfoSecrets(parts.userinfo));
    for (const p of queryPairs(parts.query)) if (p.value !== undefined && isCredentialName(p.name)) found.push(p.value);
  }
  for (const m of text.matchAll(SQL_SECRET_LITERAL)) {
    if (isCredentialName(m[1])) found.push(m[3].slice(1, -1).replace(/''/g, "'"));
  }
  for (const m of text.matchAll(ASSIGNMENT)) if (isCredentialName(m[2])) found.push(unquote(m[3]));
  for (const m of text.matchAll(FLAG_WITH_VALUE)) if (isCredentialName(m[2])) found.push(unquote(m[4]));
  const decoded = found.map(safeDecode);
  return [...new Set([...found, ...decoded])].filter((s) => s.length >= MIN_LITERAL && !isRedacted(s));
}

/** `redact` applied to every string inside a JSON-like value (objects, arrays); other values unchanged. */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === "string") return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets);
    return out as T;
  }
  return value;
}

/** Whether `url` carries userinfo or a query string (a credential may hide in either). */
export function urlMayHoldCredentials(url: string): boolean {
  return [...url.matchAll(URL_TOKEN)].some((m) => {
    const p = splitUrl(m[0]);
    return p.userinfo !== undefined || p.query !== undefined;
  });
}

// ---------------------------------------------------------------------------

const MIN_LITERAL = 4;
/** scheme://rest, up to whitespace, a quote, a bracket or a backtick. */
const URL_TOKEN = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>`]*/g;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
/** `NAME 'literal'`, `NAME = 'literal'` (SQL: WITH PASSWORD '...', encryption_passphrase = '...'). */
const SQL_SECRET_LITERAL = /\b([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*|\s+)('(?:[^']|'')*')/g;
/** `NAME=value` / `--name=value` not inside a URL query (those are handled per URL): after start, space, ; , ( or a quote. */
const ASSIGNMENT = /(^|[\s;,("'])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|[^\s&;'"]+)/g;
/** An HTTP Authorization value (curl -v, wget -d echo request headers). */
const AUTH_HEADER = /\b(Authorization:\s*(?:Bearer|Basic|Token|Digest)?)\s*[^\s'"]+/gi;
/** `"name": "value"` (a JSON body or a dumped object in some tool's error). */
const JSON_PAIR = /"([A-Za-z_][A-Za-z0-9_.-]*)"(\s*:\s*)("(?:[^"\\]|\\.)*")/g;
/** `--flag value` / `-flag value` (a value that is not itself a flag). */
const FLAG_WITH_VALUE = /(^|\s)(--?[A-Za-z][A-Za-z0-9_-]*)(\s+)("[^"]*"|[^\s"'-][^\s"']*)/g;

function maskLiterals(text: string, secrets: readonly string[]): string {
  const all = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s.length < MIN_LITERAL) continue;
    all.add(s);
    const enc = encodeURIComponent(s);
    if (enc !== s) all.add(enc);
  }
  // Longest first, so a secret that contains another is masked whole.
  let out = text;
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
  return out;
}

interface UrlParts {
  readonly scheme: string;
  readonly userinfo?: string;
  readonly hostAndPath: string;
  readonly query?: string;
  readonly fragment?: string;
}

function splitUrl(url: string): UrlParts {
  const sep = url.indexOf("://");
  const scheme = url.slice(0, sep);
  let rest = url.slice(sep + 3);
  let fragment: string | undefined;
  const hash = rest.indexOf("#");
  if (hash >= 0) [rest, fragment] = [rest.slice(0, hash), rest.slice(hash + 1)];
  let query: string | undefined;
  const q = rest.indexOf("?");
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const at = authority.lastIndexOf("@");
  if (at < 0) return { scheme, hostAndPath: rest, query, fragment };
  return { scheme, userinfo: authority.slice(0, at), hostAndPath: rest.slice(at + 1), query, fragment };
}

function redactUrl(url: string): string {
  const p = splitUrl(url);
  let hostAndPath = p.hostAndPath;
  if (KMS_SCHEMES.has(p.scheme.toLowerCase())) {
    const slash = hostAndPath.indexOf("/");
    if (slash >= 0 && slash < hostAndPath.length - 1) hostAndPath = `${hostAndPath.slice(0, slash)}/${REDACTED}`;
  }
  const userinfo = p.userinfo !== undefined ? `${REDACTED}@` : "";
  const query = p.query !== undefined ? `?${redactQuery(p.query)}` : "";
  const fragment = p.fragment !== undefined ? `#${p.fragment}` : "";
  return `${p.scheme}://${userinfo}${hostAndPath}${query}${fragment}`;
}

interface QueryPair {
  readonly raw: string;
  readonly name: string;
  readonly value?: string;
}

function queryPairs(query: string | undefined): QueryPair[] {
  if (query === undefined || query === "") return [];
  return query.split("&").map((raw) => {
    const eq = raw.indexOf("=");
    return eq < 0 ? { raw, name: raw } : { raw, name: raw.slice(0, eq), value: raw.slice(eq + 1) };
  });
}

function redactQuery(query: string): string {
  return queryPairs(query)
    .map((p) => (p.value !== undefined && p.value !== "" && isCredentialName(p.name) ? `${p.name}=${REDACTED}` : p.raw))
    .join("&");
}

/** The secret parts of userinfo: the password, and the user name when it alone is given (a token). */
function userinfoSecrets(userinfo: string): string[] {
  const colon = userinfo.indexOf(":");
  return colon < 0 ? [userinfo] : [userinfo.slice(colon + 1), userinfo];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function isRedacted(v: string): boolean {
  return unquote(v) === REDACTED || v === `'${REDACTED}'`;
}
