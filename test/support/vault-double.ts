/**
 * An in-process double of the Vault HTTP API subset in `shared/vault-kv2-contract.md`: a real
 * HTTP/1.1 server on 127.0.0.1 (random port) that node-vault and `fetch` talk to like a Vault.
 *
 * Why a hand-written HTTP/1.1 parser on `node:net` rather than `node:http`: node-vault lists with
 * the custom `LIST` verb, and Node's HTTP parser (llhttp) rejects methods it does not know, so a
 * `node:http` server could never see a `LIST` request. The parser below handles what HTTP clients
 * send here (Content-Length or chunked bodies, keep-alive, pipelining one request at a time).
 *
 * Test controls live on the returned object, never on HTTP: `seal()`, `addToken()`, `addAppRole()`,
 * `failNext()`, `rawVersions()`, `setVersionData()`, `requests`, `close()` …
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { posix } from 'node:path';

// ------------------------------------------------------------------------------------------------
// Public types
// ------------------------------------------------------------------------------------------------

export interface VaultDoubleOptions {
  /** Path of the KV v2 mount (no slashes around it). Default `kv`. */
  kvMount?: string;
  /** Mount `kvMount` as KV v2 at start. Default true; false leaves it to `POST sys/mounts/<path>`. */
  premountKv?: boolean;
  /** Root token (policy `root`, never expires, not renewable). Default `root`. */
  rootToken?: string;
  /** Start sealed. Default false. */
  sealed?: boolean;
  /** Key accepted by `PUT sys/unseal`. Default `unseal-key`. */
  unsealKey?: string;
  /** Reported Vault version. Default `1.20.0`. */
  version?: string;
  /** After `POST sys/mounts` creates a KV v2 mount, its requests get the "Upgrading…" 400 for this long. Default 0. */
  upgradeWindowMs?: number;
  /** Mount of the AppRole auth method. Default `approle`. */
  approleMount?: string;
  /** Serve HTTPS with this certificate and key (PEM); `ca` set: clients must present a certificate it issued. */
  https?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
}

export interface TokenOptions {
  /** Policy names reported by lookup-self; `root` allows every path. Default `['default']`. */
  policies?: string[];
  /**
   * Path prefixes (without `/v1/`) the token may use, e.g. `kv/data/ytempire/`; a trailing `*` is
   * allowed and ignored (`kv/data/ytempire/*`). Omitted: every path. `auth/token/lookup-self`,
   * `renew-self` and `revoke-self` are always allowed (Vault's `default` policy).
   */
  paths?: string[];
  /** Default: true when `ttl > 0`. */
  renewable?: boolean;
  /** Seconds until expiry; 0 = never. Default 0. */
  ttl?: number;
  /** Renewals never extend past issue time + maxTtl seconds (0 = unlimited). */
  maxTtl?: number;
}

export interface AppRoleOptions extends TokenOptions {
  roleName?: string;
}

export interface RecordedRequest {
  method: string;
  /** Path after `/v1/`, URL-decoded, without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The `X-Vault-Token` (or Bearer) token sent, if any. */
  token?: string;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body?: unknown;
  /** Response status, set once the answer is sent. */
  status?: number;
  /** Set when an injected fault answered the request. */
  fault?: string;
}

export interface RawVersion {
  version: number;
  /** The stored data map; null when destroyed (or stored as JSON null). */
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

export interface RawKeyMetadata {
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfterSeconds: number;
  customMetadata: Record<string, string>;
}

export interface FaultFilter {
  /** Only requests whose path (after `/v1/`) starts with this string / matches this RegExp. */
  path?: string | RegExp;
  /** Only requests with this HTTP method. */
  method?: string;
}

export interface FailOptions extends FaultFilter {
  /** `errors[0]` of the reply. Default `injected failure`. */
  message?: string;
}

export interface VaultDouble {
  readonly url: string;
  readonly port: number;
  readonly rootToken: string;
  readonly kvMount: string;
  /** Every request received, oldest first (tests may clear it with `requests.length = 0`). */
  readonly requests: RecordedRequest[];
  readonly sealed: boolean;
  seal(): void;
  unseal(): void;
  setInitialized(initialized: boolean): void;
  setStandby(mode: false | 'standby' | 'perfstandby'): void;
  addToken(token: string, options?: TokenOptions): void;
  revokeToken(token: string): void;
  /** Makes a token expire now (Vault then answers it like an unknown token: 403 `invalid token`). */
  expireToken(token: string): void;
  hasToken(token: string): boolean;
  /** Live tokens issued by AppRole logins of `roleId`, oldest first. */
  tokensOf(roleId: string): string[];
  addAppRole(roleId: string, secretId: string, options?: AppRoleOptions): void;
  /** Mounts a KV engine directly (no HTTP). */
  mountKv(path: string, version?: 1 | 2): void;
  /** Every version Vault still tracks for `mount`/`path` (KV v2), oldest first; [] when none. */
  rawVersions(mount: string, path: string): RawVersion[];
  rawMetadata(mount: string, path: string): RawKeyMetadata | null;
  /** Overwrites one stored version's data (to simulate corruption or an out-of-band write). */
  setVersionData(mount: string, path: string, version: number, data: Record<string, unknown> | null): void;
  /** The next `n` matching requests get `status` with `{"errors":[message]}`, or a dropped connection (`'reset'`). */
  failNext(n: number, status: number | 'reset', options?: FailOptions): void;
  /** The next `n` matching requests are answered only after `ms` milliseconds. */
  delayNext(n: number, ms: number, filter?: FaultFilter): void;
  /**
   * The next `n` matching requests are carried out at once but answered only after `ms`
   * milliseconds (a slow Vault whose write lands although the client gave up waiting).
   */
  delayAnswerNext(n: number, ms: number, filter?: FaultFilter): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startVaultDouble(options: VaultDoubleOptions = {}): Promise<VaultDouble> {
  const double = new VaultDoubleServer(options);
  await double.listen();
  return double;
}

// ------------------------------------------------------------------------------------------------
// Messages (exact strings from the contract)
// ------------------------------------------------------------------------------------------------

const MSG = {
  sealed: 'Vault is sealed',
  noToken: 'permission denied',
  invalidToken: '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n',
  policyDenied: '1 error occurred:\n\t* permission denied\n\n',
  unsupported: '1 error occurred:\n\t* unsupported operation\n\n',
  jsonParse: 'error parsing JSON',
  trailingSlash: "cannot write to a path ending in '/'",
  noData: 'no data provided',
  casMismatch: 'check-and-set parameter did not match the current version',
  casRequired: 'check-and-set parameter required for this call',
  casParse: 'error parsing check-and-set parameter',
  noVersionDelete: 'No version number provided',
  noVersionDestroy: 'no version number provided',
  rootNotSupported: 'Non-listing operations on the root of a K/V v2 mount are not supported.',
  upgrading:
    'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.',
  notRenewable: 'lease not found or lease is not renewable',
  missingRoleId: 'missing role_id',
  missingSecretId: 'missing secret_id',
  invalidRoleOrSecret: 'invalid role or secret ID',
  backendType: 'backend type must be specified as a string',
  cmPrefix: 'custom_metadata validation failed',
} as const;

function invalidPathWarning(subCommand: string): string {
  return (
    'Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints ' +
    `to use. If using the Vault CLI, use 'vault kv ${subCommand}' for this operation.`
  );
}

/** go-multierror's list format. */
function multiError(errors: string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

// ------------------------------------------------------------------------------------------------
// Go-flavoured encoding helpers
// ------------------------------------------------------------------------------------------------

/** Objects registered here are Go structs: their field order is kept; every other object is a map (sorted keys). */
const STRUCTS = new WeakSet<object>();
function struct<T extends object>(value: T): T {
  STRUCTS.add(value);
  return value;
}

function goString(s: string): string {
  // encoding/json escapes <, >, & and U+2028/U+2029 by default.
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function encodeGo(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return goString(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(encodeGo).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  if (!STRUCTS.has(obj)) keys.sort(byteOrder);
  return `{${keys.map((k) => `${goString(k)}:${encodeGo(obj[k])}`).join(',')}}`;
}

const NS_BASE = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
function nowNs(): bigint {
  return NS_BASE + process.hrtime.bigint();
}

/** Go's time.RFC3339Nano in UTC (trailing zeros of the fraction trimmed). */
function rfc3339Nano(ns: bigint | null | undefined): string {
  if (ns === null || ns === undefined) return '';
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Go's time.Duration.String() for whole seconds. */
function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

class FieldError extends Error {}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool; undefined when invalid. */
function parseGoBool(s: string): boolean | undefined {
  if (GO_TRUE.has(s)) return true;
  if (GO_FALSE.has(s)) return false;
  return undefined;
}

function goTypeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (v !== null && typeof v === 'object') return 'map[string]interface {}';
  if (typeof v === 'number') return 'float64';
  return typeof v;
}

/** mapstructure.WeakDecode into an int. */
function weakInt(v: unknown, field: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    if (v === '') return 0;
    if (/^[+-]?\d+$/.test(v)) return Number.parseInt(v, 10);
  }
  throw new FieldError(`error converting input ${String(v)} for field "${field}"`);
}

/** mapstructure.WeakDecode into a bool. */
function weakBool(v: unknown, field: string): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    if (v === '') return false;
    const parsed = parseGoBool(v);
    if (parsed !== undefined) return parsed;
  }
  throw new FieldError(`error converting input ${String(v)} for field "${field}"`);
}

/** mapstructure.WeakDecode into a string. */
function weakString(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return String(v);
  throw new FieldError(`'' expected type 'string', got unconvertible type '${goTypeName(v)}', value: '${JSON.stringify(v)}'`);
}

function weakMap(v: unknown, field: string): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new FieldError(`error converting input ${JSON.stringify(v)} for field "${field}": '' expected a map, got '${goTypeName(v)}'`);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** framework.TypeDurationSecond: seconds as a number, a numeric string or a Go duration. */
function durationSeconds(v: unknown, field: string): number {
  if (v === null || v === undefined || v === '') return 0;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string') {
    if (/^[+-]?\d+$/.test(v)) return Number.parseInt(v, 10);
    const m = /^([+-]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/.exec(v);
    if (m) {
      let total = 0;
      for (const part of m[2].matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
        total += Number(part[1]) * DURATION_UNITS[part[2]];
      }
      return Math.trunc(m[1] === '-' ? -total : total);
    }
  }
  throw new FieldError(`error converting input ${String(v)} for field "${field}"`);
}

/** framework.TypeCommaIntSlice. */
function commaInts(v: unknown, field: string): number[] {
  if (v === null || v === undefined) return [];
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').filter((s) => s.trim() !== '') : [v];
  return items.map((item) => weakInt(typeof item === 'string' ? item.trim() : item, field));
}

/** strutil.Printable: unicode.IsPrint for every rune (letters, marks, numbers, punctuation, symbols, ASCII space). */
function printable(s: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(s);
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

// ------------------------------------------------------------------------------------------------
// Internal state types
// ------------------------------------------------------------------------------------------------

interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  paths?: string[];
  renewable: boolean;
  creationTtl: number;
  maxTtl: number;
  issueMs: number;
  expireMs: number | null;
  displayName: string;
  path: string;
  meta: Record<string, string> | null;
  orphan: boolean;
  entityId: string;
  /** The AppRole whose login issued the token. */
  roleId?: string;
}

interface AppRole {
  roleId: string;
  secretId: string;
  options: AppRoleOptions;
}

interface KvVersion {
  createdNs: bigint;
  deletionNs: bigint | null;
  destroyed: boolean;
  /** undefined once destroyed. */
  data: unknown;
}

interface KvKey {
  key: string;
  currentVersion: number;
  oldestVersion: number;
  maxVersions: number;
  casRequired: boolean;
  deleteVersionAfter: number;
  customMetadata: Record<string, string>;
  createdNs: bigint | null;
  updatedNs: bigint | null;
  versions: Map<number, KvVersion>;
}

interface KvMount {
  path: string;
  version: 1 | 2;
  uuid: string;
  accessor: string;
  description: string;
  upgradeUntilMs: number;
  config: { casRequired: boolean; maxVersions: number; deleteVersionAfter: number };
  keys: Map<string, KvKey>;
  v1: Map<string, Record<string, unknown>>;
}

type Operation = 'read' | 'list' | 'update' | 'patch' | 'delete';

interface LogicalRequest {
  op: Operation;
  path: string;
  data: Record<string, unknown>;
  token?: TokenEntry;
}

/** What a handler returns; `answer()` turns it into HTTP the way Vault's RespondErrorCommon does. */
type Result =
  | { t: 'resp'; data?: unknown; warnings?: string[]; auth?: object | null; status?: number; sysInject?: boolean }
  | { t: 'none' }
  | { t: 'err'; status: number; errors: string[] }
  | { t: 'empty404' };

interface Routed {
  result: Result;
  /** Known parameters of the matched endpoint: anything else in the request data is warned about. */
  fields?: readonly string[];
  mountType: string;
}

interface Reply {
  status: number;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  reset?: boolean;
}

interface HttpRequest {
  method: string;
  target: string;
  httpVersion: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Fault {
  remaining: number;
  filter: FaultFilter;
  kind: 'fail' | 'reset' | 'delay' | 'delayAnswer';
  status?: number;
  message?: string;
  ms?: number;
}

const DEFAULT_POLICY_PATHS = ['auth/token/lookup-self', 'auth/token/renew-self', 'auth/token/revoke-self'];
const DEFAULT_MAX_VERSIONS = 10;

// ------------------------------------------------------------------------------------------------
// The double
// ------------------------------------------------------------------------------------------------

class VaultDoubleServer implements VaultDouble {
  readonly requests: RecordedRequest[] = [];
  readonly rootToken: string;
  readonly kvMount: string;
  url = '';
  port = 0;

  private server: Server;
  private readonly scheme: 'http' | 'https';
  private readonly sockets = new Set<Socket>();
  private isSealed: boolean;
  private initialized = true;
  private standby: false | 'standby' | 'perfstandby' = false;
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly appRoles = new Map<string, AppRole>();
  private readonly mounts = new Map<string, KvMount>();
  private faults: Fault[] = [];
  private readonly clusterName = `vault-cluster-${randomBytes(4).toString('hex')}`;
  private readonly clusterId = randomUUID();
  private readonly vaultVersion: string;
  private readonly unsealKey: string;
  private readonly upgradeWindowMs: number;
  private readonly approleMount: string;

  constructor(options: VaultDoubleOptions) {
    this.rootToken = options.rootToken ?? 'root';
    this.kvMount = trimSlashes(options.kvMount ?? 'kv');
    this.isSealed = options.sealed ?? false;
    this.vaultVersion = options.version ?? '1.20.0';
    this.unsealKey = options.unsealKey ?? 'unseal-key';
    this.upgradeWindowMs = options.upgradeWindowMs ?? 0;
    this.approleMount = trimSlashes(options.approleMount ?? 'approle');
    this.addToken(this.rootToken, { policies: ['root'], renewable: false, ttl: 0 });
    const root = this.tokens.get(this.rootToken);
    if (root) root.path = 'auth/token/root';
    if (options.premountKv ?? true) this.mountKv(this.kvMount, 2);
    const https = options.https;
    this.scheme = https ? 'https' : 'http';
    this.server = https
      ? createTlsServer(
          { cert: https.cert, key: https.key, ...(https.ca ? { ca: https.ca, requestCert: true, rejectUnauthorized: true } : {}) },
          (socket) => this.accept(socket),
        )
      : createServer((socket) => this.accept(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('vault double: no TCP address'));
          return;
        }
        this.port = address.port;
        this.url = `${this.scheme}://127.0.0.1:${address.port}`;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- test controls ---------------------------------------------------------------------------

  get sealed(): boolean {
    return this.isSealed;
  }

  seal(): void {
    this.isSealed = true;
  }

  unseal(): void {
    this.isSealed = false;
  }

  setInitialized(initialized: boolean): void {
    this.initialized = initialized;
  }

  setStandby(mode: false | 'standby' | 'perfstandby'): void {
    this.standby = mode;
  }

  addToken(token: string, options: TokenOptions = {}): void {
    const ttl = options.ttl ?? 0;
    const now = Date.now();
    this.tokens.set(token, {
      id: token,
      accessor: randomToken(24),
      policies: options.policies ?? ['default'],
      paths: options.paths,
      renewable: options.renewable ?? ttl > 0,
      creationTtl: ttl,
      maxTtl: options.maxTtl ?? 0,
      issueMs: now,
      expireMs: ttl > 0 ? now + ttl * 1000 : null,
      displayName: 'token',
      path: 'auth/token/create',
      meta: null,
      orphan: false,
      entityId: '',
    });
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  expireToken(token: string): void {
    const entry = this.tokens.get(token);
    if (entry) entry.expireMs = Date.now() - 1;
  }

  tokensOf(roleId: string): string[] {
    return [...this.tokens.values()]
      .filter((t) => t.roleId === roleId && this.liveToken(t.id) !== undefined)
      .sort((a, b) => a.issueMs - b.issueMs)
      .map((t) => t.id);
  }

  hasToken(token: string): boolean {
    return this.liveToken(token) !== undefined;
  }

  addAppRole(roleId: string, secretId: string, options: AppRoleOptions = {}): void {
    this.appRoles.set(roleId, { roleId, secretId, options });
  }

  mountKv(path: string, version: 1 | 2 = 2): void {
    const p = trimSlashes(path);
    this.mounts.set(p, {
      path: p,
      version,
      uuid: randomUUID(),
      accessor: `kv_${randomBytes(4).toString('hex')}`,
      description: '',
      upgradeUntilMs: 0,
      config: { casRequired: false, maxVersions: 0, deleteVersionAfter: 0 },
      keys: new Map(),
      v1: new Map(),
    });
  }

  rawVersions(mount: string, path: string): RawVersion[] {
    const key = this.mounts.get(trimSlashes(mount))?.keys.get(path);
    if (!key) return [];
    return [...key.versions.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, v]) => ({
        version,
        data: v.data === undefined ? null : (clone(v.data) as Record<string, unknown> | null),
        createdTime: rfc3339Nano(v.createdNs),
        deletionTime: rfc3339Nano(v.deletionNs),
        destroyed: v.destroyed,
      }));
  }

  rawMetadata(mount: string, path: string): RawKeyMetadata | null {
    const key = this.mounts.get(trimSlashes(mount))?.keys.get(path);
    if (!key) return null;
    return {
      currentVersion: key.currentVersion,
      oldestVersion: key.oldestVersion,
      maxVersions: key.maxVersions,
      casRequired: key.casRequired,
      deleteVersionAfterSeconds: key.deleteVersionAfter,
      customMetadata: { ...key.customMetadata },
    };
  }

  setVersionData(mount: string, path: string, version: number, data: Record<string, unknown> | null): void {
    const v = this.mounts.get(trimSlashes(mount))?.keys.get(path)?.versions.get(version);
    if (!v) throw new Error(`vault double: no version ${version} of ${mount}/${path}`);
    v.data = clone(data);
  }

  failNext(n: number, status: number | 'reset', options: FailOptions = {}): void {
    const { message, ...filter } = options;
    this.faults.push(
      status === 'reset'
        ? { remaining: n, filter, kind: 'reset' }
        : { remaining: n, filter, kind: 'fail', status, message: message ?? 'injected failure' },
    );
  }

  delayNext(n: number, ms: number, filter: FaultFilter = {}): void {
    this.faults.push({ remaining: n, filter, kind: 'delay', ms });
  }

  delayAnswerNext(n: number, ms: number, filter: FaultFilter = {}): void {
    this.faults.push({ remaining: n, filter, kind: 'delayAnswer', ms });
  }

  clearFaults(): void {
    this.faults = [];
  }

  // ---- HTTP plumbing ---------------------------------------------------------------------------

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let busy = false;
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (!socket.destroyed) {
          const parsed = parseHttpRequest(buffer);
          if (parsed === 'incomplete') break;
          if ('error' in parsed) {
            socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request`);
            return;
          }
          buffer = buffer.subarray(parsed.consumed);
          const reply = await this.handle(parsed.req);
          if (socket.destroyed) return;
          if (reply.reset) {
            socket.destroy();
            return;
          }
          const keepAlive = wantsKeepAlive(parsed.req);
          socket.write(serializeReply(reply, parsed.req.method === 'HEAD', keepAlive));
          if (!keepAlive) {
            socket.end();
            return;
          }
        }
      } finally {
        busy = false;
      }
      if (!socket.destroyed && parseHttpRequest(buffer) !== 'incomplete') void pump();
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      void pump();
    });
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && matchesFilter(f.filter, method, path));
    if (fault) {
      fault.remaining -= 1;
      this.faults = this.faults.filter((f) => f.remaining > 0);
    }
    return fault;
  }

  private async handle(req: HttpRequest): Promise<Reply> {
    const qIndex = req.target.indexOf('?');
    const rawPath = qIndex === -1 ? req.target : req.target.slice(0, qIndex);
    const rawQuery = qIndex === -1 ? '' : req.target.slice(qIndex + 1);
    const params = new URLSearchParams(rawQuery);
    let decodedPath: string;
    try {
      decodedPath = decodeURIComponent(rawPath);
    } catch {
      decodedPath = rawPath;
    }
    const token = requestToken(req.headers);
    const record: RecordedRequest = {
      method: req.method,
      path: decodedPath.startsWith('/v1/') ? decodedPath.slice(4) : decodedPath,
      query: Object.fromEntries(params),
      headers: { ...req.headers },
      token,
      body: parseJsonLoose(req.body),
    };
    this.requests.push(record);

    const fault = this.takeFault(req.method, record.path);
    let reply: Reply | undefined;
    if (fault?.kind === 'delay') await sleep(fault.ms ?? 0);
    else if (fault?.kind === 'reset') {
      record.fault = 'reset';
      return { status: 0, reset: true };
    } else if (fault?.kind === 'fail') {
      record.fault = `status ${fault.status}`;
      reply = errorReply(fault.status ?? 500, [fault.message ?? 'injected failure']);
    }
    reply ??= this.route(req, decodedPath, rawPath, rawQuery, params, token);
    record.status = reply.status;
    if (fault?.kind === 'delayAnswer') await sleep(fault.ms ?? 0);
    return reply;
  }

  private route(
    req: HttpRequest,
    decodedPath: string,
    rawPath: string,
    rawQuery: string,
    params: URLSearchParams,
    token: string | undefined,
  ): Reply {
    // Go's ServeMux answers unclean paths (`//`, `/./`, `/../`) with a 301 to the cleaned path.
    const cleaned = cleanPath(rawPath);
    if (cleaned !== rawPath) {
      const location = cleaned + (rawQuery ? `?${rawQuery}` : '');
      return {
        status: 301,
        headers: { Location: location },
        contentType: 'text/html; charset=utf-8',
        body: req.method === 'GET' ? `<a href="${location}">Moved Permanently</a>.\n\n` : '',
      };
    }
    if (!decodedPath.startsWith('/v1/')) {
      return { status: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n' };
    }
    let path = decodedPath.slice(4);

    // Raw (non-logical) handlers that work while sealed.
    if (path === 'sys/health') return this.health(req.method, params);
    if (path === 'sys/seal-status') {
      if (req.method !== 'GET') return errorReply(405, []);
      return jsonReply(200, this.sealStatus());
    }
    if (path === 'sys/unseal') {
      if (req.method !== 'PUT' && req.method !== 'POST') return errorReply(405, []);
      const body = parseJsonLoose(req.body) as Record<string, unknown> | undefined;
      if (body?.reset === true) return jsonReply(200, this.sealStatus());
      if (typeof body?.key !== 'string' || body.key === '') return errorReply(400, ['missing required parameters']);
      if (body.key !== this.unsealKey) return errorReply(400, ['invalid key']);
      this.isSealed = false;
      return jsonReply(200, this.sealStatus());
    }

    if (this.isSealed || !this.initialized) return errorReply(503, [MSG.sealed]);

    // buildLogicalRequestNoAuth: method → operation, data from the query or the JSON body.
    let op: Operation;
    let data: Record<string, unknown> = {};
    switch (req.method) {
      case 'GET': {
        op = 'read';
        const list = params.get('list');
        if (list !== null && list !== '') {
          const parsed = parseGoBool(list);
          if (parsed === undefined) return errorReply(400, []);
          if (parsed) {
            params.delete('list');
            op = 'list';
            if (!path.endsWith('/')) path += '/';
          }
        }
        data = queryData(params);
        break;
      }
      case 'LIST':
        op = 'list';
        if (!path.endsWith('/')) path += '/';
        data = queryData(params);
        break;
      case 'DELETE':
        op = 'delete';
        data = queryData(params);
        break;
      case 'POST':
      case 'PUT':
      case 'PATCH': {
        if (req.method === 'PATCH') {
          const ct = req.headers['content-type'] ?? '';
          if (ct.split(';')[0].trim().toLowerCase() !== 'application/merge-patch+json') {
            return errorReply(415, [`PATCH requires Content-Type of application/merge-patch+json, provided ${ct}`]);
          }
        }
        op = req.method === 'PATCH' ? 'patch' : 'update';
        if (path.endsWith('/')) return errorReply(400, [MSG.trailingSlash]);
        if (req.body.length > 0) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(req.body.toString('utf8'));
          } catch {
            return errorReply(400, [MSG.jsonParse]);
          }
          if (parsed === null) parsed = {};
          if (typeof parsed !== 'object' || Array.isArray(parsed)) return errorReply(400, [MSG.jsonParse]);
          data = parsed as Record<string, unknown>;
        }
        break;
      }
      default:
        return errorReply(405, []);
    }

    const logical: LogicalRequest = { op, path, data };

    // Authentication and ACL.
    if (!this.isUnauthenticated(path)) {
      if (!token) return errorReply(403, [MSG.noToken]);
      const entry = this.liveToken(token);
      if (!entry) return errorReply(403, [MSG.invalidToken]);
      if (!allowed(entry, path)) return errorReply(403, [MSG.policyDenied]);
      logical.token = entry;
    }

    let routed: Routed;
    try {
      routed = this.dispatch(logical);
    } catch (err) {
      if (err instanceof FieldError) return errorReply(400, [err.message]);
      throw err;
    }
    return answer(logical, routed);
  }

  private isUnauthenticated(path: string): boolean {
    return path === `auth/${this.approleMount}/login`;
  }

  private liveToken(token: string): TokenEntry | undefined {
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expireMs !== null && entry.expireMs <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry;
  }

  private dispatch(req: LogicalRequest): Routed {
    const { path } = req;
    if (path === 'sys/mounts') return this.sysMounts(req);
    if (path.startsWith('sys/mounts/')) return this.sysMount(req, trimSlashes(path.slice('sys/mounts/'.length)));
    if (path === 'auth/token/lookup-self') return this.lookupSelf(req);
    if (path === 'auth/token/renew-self') return this.renewSelf(req);
    if (path === 'auth/token/revoke-self') {
      if (req.op !== 'update') return unsupported('token');
      if (req.token) this.tokens.delete(req.token.id);
      return { result: { t: 'none' }, mountType: 'token' };
    }
    if (path === `auth/${this.approleMount}/login`) return this.approleLogin(req);

    const mount = this.matchMount(path);
    if (!mount) return { result: { t: 'err', status: 404, errors: [noHandler(path)] }, mountType: '' };
    const inner = path === mount.path ? '' : path.slice(mount.path.length + 1);
    if (mount.version === 1) return this.kv1(mount, req, inner);
    return this.kv2(mount, req, inner);
  }

  private matchMount(path: string): KvMount | undefined {
    let best: KvMount | undefined;
    for (const m of this.mounts.values()) {
      if ((path === m.path || path.startsWith(`${m.path}/`)) && (!best || m.path.length > best.path.length)) best = m;
    }
    return best;
  }

  // ---- sys/health, sys/seal-status ---------------------------------------------------------------

  private health(method: string, params: URLSearchParams): Reply {
    if (method !== 'GET' && method !== 'HEAD') return errorReply(405, []);
    const boolParam = (name: string): boolean | null => {
      const v = params.get(name);
      if (v === null || v === '') return false;
      const parsed = parseGoBool(v);
      return parsed === undefined ? null : parsed;
    };
    const codeParam = (name: string, fallback: number): number | null => {
      const v = params.get(name);
      if (v === null) return fallback;
      if (!/^[+-]?\d+$/.test(v)) return null;
      const n = Number.parseInt(v, 10);
      return n >= 100 && n <= 999 ? n : null;
    };
    const standbyOk = boolParam('standbyok');
    const perfStandbyOk = boolParam('perfstandbyok');
    const codes = {
      active: codeParam('activecode', 200),
      standby: codeParam('standbycode', 429),
      drsecondary: codeParam('drsecondarycode', 472),
      perfstandby: codeParam('performancestandbycode', 473),
      haunhealthy: codeParam('haunhealthycode', 474),
      sealed: codeParam('sealedcode', 503),
      uninit: codeParam('uninitcode', 501),
      removed: codeParam('removedcode', 530),
    };
    if (standbyOk === null || perfStandbyOk === null || Object.values(codes).some((c) => c === null)) {
      return errorReply(400, []);
    }
    const sealed = this.isSealed || !this.initialized;
    let status: number;
    if (!this.initialized) status = codes.uninit as number;
    else if (sealed) status = codes.sealed as number;
    else if (this.standby === 'perfstandby' && !perfStandbyOk) status = codes.perfstandby as number;
    else if (this.standby === 'standby' && !standbyOk) status = codes.standby as number;
    else status = codes.active as number;

    const body = struct<Record<string, unknown>>({
      initialized: this.initialized,
      sealed,
      standby: sealed || this.standby === 'standby',
      performance_standby: this.standby === 'perfstandby',
      replication_performance_mode: sealed ? 'unknown' : 'disabled',
      replication_dr_mode: sealed ? 'unknown' : 'disabled',
      server_time_utc: Math.floor(Date.now() / 1000),
      version: this.vaultVersion,
      enterprise: false,
      cluster_name: sealed ? undefined : this.clusterName,
      cluster_id: sealed ? undefined : this.clusterId,
      echo_duration_ms: 0,
      clock_skew_ms: 0,
      replication_primary_canary_age_ms: 0,
    });
    return method === 'HEAD' ? { status, contentType: 'application/json' } : jsonReply(status, body);
  }

  private sealStatus(): object {
    const sealed = this.isSealed || !this.initialized;
    return struct({
      type: 'shamir',
      initialized: this.initialized,
      sealed,
      t: 1,
      n: 1,
      progress: 0,
      nonce: '',
      version: this.vaultVersion,
      build_date: '2025-01-01T00:00:00Z',
      migration: false,
      cluster_name: sealed ? undefined : this.clusterName,
      cluster_id: sealed ? undefined : this.clusterId,
      recovery_seal: false,
      storage_type: 'inmem',
    });
  }

  // ---- sys/mounts ----------------------------------------------------------------------------------

  private mountInfo(m: KvMount | 'sys'): Record<string, unknown> {
    if (m === 'sys') {
      return {
        accessor: 'system_00000000',
        config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0, passthrough_request_headers: ['Accept'] },
        description: 'system endpoints used for control, policy and debugging',
        external_entropy_access: false,
        local: false,
        options: null,
        plugin_version: '',
        running_plugin_version: `v${this.vaultVersion}+builtin.vault`,
        running_sha256: '',
        seal_wrap: true,
        type: 'system',
        uuid: this.clusterId,
      };
    }
    return {
      accessor: m.accessor,
      config: { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 },
      deprecation_status: 'supported',
      description: m.description,
      external_entropy_access: false,
      local: false,
      options: m.version === 2 ? { version: '2' } : null,
      plugin_version: '',
      running_plugin_version: 'v0.24.0+builtin',
      running_sha256: '',
      seal_wrap: false,
      type: 'kv',
      uuid: m.uuid,
    };
  }

  private sysMounts(req: LogicalRequest): Routed {
    if (req.op !== 'read') return unsupported('system');
    const data: Record<string, unknown> = {};
    for (const m of this.mounts.values()) data[`${m.path}/`] = this.mountInfo(m);
    data['sys/'] = this.mountInfo('sys');
    return { result: { t: 'resp', data, sysInject: true }, mountType: 'system' };
  }

  private sysMount(req: LogicalRequest, path: string): Routed {
    const sys = (result: Result): Routed => ({ result, mountType: 'system' });
    switch (req.op) {
      case 'read': {
        const m = this.mounts.get(path);
        if (path === 'sys') return sys({ t: 'resp', data: this.mountInfo('sys'), sysInject: true });
        if (!m) return sys({ t: 'err', status: 400, errors: [`No secret engine mount at ${path}/`] });
        return sys({ t: 'resp', data: this.mountInfo(m), sysInject: true });
      }
      case 'update': {
        const type = req.data.type;
        if (typeof type !== 'string' || type === '') return sys({ t: 'err', status: 400, errors: [MSG.backendType] });
        if (path === '') return sys({ t: 'err', status: 400, errors: ['missing mount point'] });
        const clash = [...this.mounts.keys(), 'sys', 'auth', 'cubbyhole', 'identity'].find(
          (p) => path === p || path.startsWith(`${p}/`) || p.startsWith(`${path}/`),
        );
        if (clash) return sys({ t: 'err', status: 400, errors: [`path is already in use at ${clash}/`] });
        let version: 1 | 2;
        if (type === 'kv-v2') version = 2;
        else if (type === 'kv') {
          const opts = req.data.options as Record<string, unknown> | null | undefined;
          const v = opts && typeof opts === 'object' ? weakString(opts.version) : '';
          if (v !== '' && v !== '1' && v !== '2') {
            return sys({ t: 'err', status: 400, errors: [`invalid version "${v}"`] });
          }
          version = v === '2' ? 2 : 1;
        } else {
          return sys({ t: 'err', status: 400, errors: [`plugin not found in the catalog: ${type}`] });
        }
        this.mountKv(path, version);
        const mount = this.mounts.get(path);
        if (mount) {
          mount.description = typeof req.data.description === 'string' ? req.data.description : '';
          if (version === 2) mount.upgradeUntilMs = Date.now() + this.upgradeWindowMs;
        }
        return sys({ t: 'none' });
      }
      case 'delete':
        if (path === 'sys') return sys({ t: 'err', status: 400, errors: ['cannot unmount "sys/"'] });
        this.mounts.delete(path);
        return sys({ t: 'none' });
      default:
        return unsupported('system');
    }
  }

  // ---- auth/token, auth/approle ----------------------------------------------------------------

  private lookupSelf(req: LogicalRequest): Routed {
    if (req.op !== 'read' && req.op !== 'update') return unsupported('token');
    const t = req.token as TokenEntry;
    const now = Date.now();
    const data = {
      accessor: t.accessor,
      creation_time: Math.floor(t.issueMs / 1000),
      creation_ttl: t.creationTtl,
      display_name: t.displayName,
      entity_id: t.entityId,
      expire_time: t.expireMs === null ? null : rfc3339(t.expireMs),
      explicit_max_ttl: 0,
      id: t.id,
      issue_time: rfc3339(t.issueMs),
      meta: t.meta,
      num_uses: 0,
      orphan: t.orphan,
      path: t.path,
      policies: t.policies,
      renewable: t.renewable,
      ttl: t.expireMs === null ? 0 : Math.max(0, Math.round((t.expireMs - now) / 1000)),
      type: 'service',
    };
    return { result: { t: 'resp', data }, mountType: 'token' };
  }

  private authBlock(t: TokenEntry, leaseDuration: number): object {
    return struct({
      client_token: t.id,
      accessor: t.accessor,
      policies: t.policies,
      token_policies: t.policies,
      metadata: t.meta,
      lease_duration: leaseDuration,
      renewable: t.renewable,
      entity_id: t.entityId,
      token_type: 'service',
      orphan: t.orphan,
      mfa_requirement: null,
      num_uses: 0,
    });
  }

  private renewSelf(req: LogicalRequest): Routed {
    if (req.op !== 'update') return unsupported('token');
    const t = req.token as TokenEntry;
    if (!t.renewable || t.policies.includes('root') || t.expireMs === null) {
      return { result: { t: 'err', status: 400, errors: [MSG.notRenewable] }, mountType: 'token' };
    }
    const increment = durationSeconds(req.data.increment, 'increment');
    let lease = increment > 0 ? increment : t.creationTtl;
    const now = Date.now();
    if (t.maxTtl > 0) lease = Math.max(0, Math.min(lease, Math.floor((t.issueMs + t.maxTtl * 1000 - now) / 1000)));
    t.expireMs = now + lease * 1000;
    return { result: { t: 'resp', data: null, auth: this.authBlock(t, lease) }, mountType: 'token' };
  }

  private approleLogin(req: LogicalRequest): Routed {
    const fail = (msg: string): Routed => ({ result: { t: 'err', status: 400, errors: [msg] }, mountType: 'approle' });
    if (req.op !== 'update') return unsupported('approle');
    const roleId = weakString(req.data.role_id).trim();
    if (roleId === '') return fail(MSG.missingRoleId);
    const role = this.appRoles.get(roleId);
    if (!role) return fail(MSG.invalidRoleOrSecret);
    const secretId = weakString(req.data.secret_id).trim();
    if (secretId === '') return fail(MSG.missingSecretId);
    if (secretId !== role.secretId) return fail(MSG.invalidRoleOrSecret);

    const ttl = role.options.ttl ?? 2764800;
    const id = `hvs.${randomToken(24)}`;
    const policies = ['default', ...(role.options.policies ?? []).filter((p) => p !== 'default')];
    this.addToken(id, { ...role.options, policies, ttl, renewable: role.options.renewable ?? true });
    const entry = this.tokens.get(id) as TokenEntry;
    entry.displayName = 'approle';
    entry.path = `auth/${this.approleMount}/login`;
    entry.meta = { role_name: role.options.roleName ?? 'strongroom' };
    entry.orphan = true;
    entry.entityId = randomUUID();
    entry.roleId = roleId;
    return {
      result: { t: 'resp', data: null, auth: this.authBlock(entry, ttl) },
      fields: ['role_id', 'secret_id'],
      mountType: 'approle',
    };
  }

  // ---- KV v1 (passthrough) -----------------------------------------------------------------------

  private kv1(m: KvMount, req: LogicalRequest, key: string): Routed {
    const kv = (result: Result): Routed => ({ result, mountType: 'kv' });
    switch (req.op) {
      case 'read': {
        const v = m.v1.get(key);
        return kv(v ? { t: 'resp', data: clone(v) } : { t: 'none' });
      }
      case 'list':
        return kv({ t: 'resp', data: { keys: childKeys(m.v1.keys(), key) } });
      case 'update':
        if (key === '') return kv({ t: 'err', status: 400, errors: ['missing path'] });
        m.v1.set(key, clone(req.data));
        return kv({ t: 'none' });
      case 'delete':
        m.v1.delete(key);
        return kv({ t: 'none' });
      default:
        return unsupported('kv');
    }
  }

  // ---- KV v2 ---------------------------------------------------------------------------------------

  private kv2(m: KvMount, req: LogicalRequest, inner: string): Routed {
    const kv = (result: Result, fields?: readonly string[]): Routed => ({ result, fields, mountType: 'kv' });
    if (m.upgradeUntilMs > Date.now()) return kv({ t: 'err', status: 400, errors: [MSG.upgrading] });

    if (inner === 'config') {
      const fields = ['max_versions', 'cas_required', 'delete_version_after'];
      if (req.op === 'read') {
        return kv(
          {
            t: 'resp',
            data: {
              cas_required: m.config.casRequired,
              delete_version_after: goDuration(m.config.deleteVersionAfter),
              max_versions: m.config.maxVersions,
            },
          },
          fields,
        );
      }
      if (req.op === 'update') {
        if ('max_versions' in req.data) m.config.maxVersions = weakInt(req.data.max_versions, 'max_versions');
        if ('cas_required' in req.data) m.config.casRequired = weakBool(req.data.cas_required, 'cas_required');
        if ('delete_version_after' in req.data) {
          m.config.deleteVersionAfter = durationSeconds(req.data.delete_version_after, 'delete_version_after');
        }
        return kv({ t: 'none' }, fields);
      }
      return unsupported('kv');
    }

    const dataFields = ['path', 'version', 'options', 'data'];
    if (/^data\/.*[^/]$/s.test(inner)) {
      const key = inner.slice('data/'.length);
      switch (req.op) {
        case 'read':
          return kv(this.dataRead(m, key, req.data), dataFields);
        case 'update':
          return kv(this.dataWrite(m, key, req.data), dataFields);
        case 'patch':
          return kv(this.dataPatch(m, key, req.data), dataFields);
        case 'delete':
          return kv(this.dataDelete(m, key), dataFields);
        default:
          return unsupported('kv');
      }
    }

    if (inner.startsWith('metadata/')) {
      const key = inner.slice('metadata/'.length);
      const fields = ['path', 'cas_required', 'max_versions', 'delete_version_after', 'custom_metadata'];
      switch (req.op) {
        case 'read':
          return kv(this.metadataRead(m, key), fields);
        case 'list':
          return kv(this.metadataList(m, key, req.data), ['path', 'exclude_deleted']);
        case 'update':
          return kv(this.metadataWrite(m, key, req.data), fields);
        case 'patch':
          return kv(this.metadataPatch(m, key, req.data), fields);
        case 'delete':
          m.keys.delete(key);
          return kv({ t: 'none' }, fields);
        default:
          return unsupported('kv');
      }
    }

    for (const action of ['delete', 'undelete', 'destroy'] as const) {
      if (inner.startsWith(`${action}/`)) {
        if (req.op !== 'update') return unsupported('kv');
        return kv(this.versionsAction(m, action, inner.slice(action.length + 1), req.data), ['path', 'versions']);
      }
    }

    // pathInvalid: the catch-all of the plugin.
    const warning = ['metadata', 'data', 'delete', 'undelete', 'destroy'].includes(inner)
      ? MSG.rootNotSupported
      : invalidPathWarning({ read: 'get', list: 'list', update: 'put', patch: 'patch', delete: 'delete' }[req.op]);
    return kv({ t: 'resp', data: null, warnings: [warning], status: 404 });
  }

  private isDeleted(v: KvVersion): boolean {
    return v.deletionNs !== null && v.deletionNs < nowNs();
  }

  private versionMetadata(meta: KvKey, version: number, v: KvVersion): Record<string, unknown> {
    return {
      created_time: rfc3339Nano(v.createdNs),
      custom_metadata: customMetadataOut(meta),
      deletion_time: rfc3339Nano(v.deletionNs),
      destroyed: v.destroyed,
      version,
    };
  }

  private dataRead(m: KvMount, key: string, data: Record<string, unknown>): Result {
    const meta = m.keys.get(key);
    if (!meta) return { t: 'none' };
    const param = weakInt(data.version, 'version');
    const versionNumber = param > 0 ? param : meta.currentVersion;
    const v = meta.versions.get(versionNumber);
    if (!v) return { t: 'none' };
    const metadata = this.versionMetadata(meta, versionNumber, v);
    if (this.isDeleted(v) || v.destroyed) return { t: 'resp', data: { data: null, metadata }, status: 404 };
    return { t: 'resp', data: { data: clone(v.data), metadata } };
  }

  /** validateCheckAndSetOption of the plugin. */
  private checkAndSet(m: KvMount, meta: KvKey, data: Record<string, unknown>): string | undefined {
    const options = weakMap(data.options, 'options');
    if (options && 'cas' in options) {
      let cas: number;
      try {
        cas = weakInt(options.cas, 'cas');
      } catch {
        return MSG.casParse;
      }
      if (cas !== meta.currentVersion) return MSG.casMismatch;
    } else if (m.config.casRequired || meta.casRequired) {
      return MSG.casRequired;
    }
    return undefined;
  }

  private addVersion(m: KvMount, meta: KvKey, value: unknown): [number, KvVersion] {
    const created = nowNs();
    let deletion: bigint | null = null;
    if (m.config.deleteVersionAfter >= 0) {
      const candidates = [m.config.deleteVersionAfter, meta.deleteVersionAfter].filter((d) => d > 0);
      if (candidates.length > 0) deletion = created + BigInt(Math.min(...candidates)) * 1_000_000_000n;
    }
    const v: KvVersion = { createdNs: created, deletionNs: deletion, destroyed: false, data: clone(value) };
    meta.currentVersion += 1;
    meta.versions.set(meta.currentVersion, v);
    meta.updatedNs = created;
    meta.createdNs ??= created;
    const max = Math.max(meta.maxVersions, m.config.maxVersions) || DEFAULT_MAX_VERSIONS;
    if (meta.currentVersion - meta.oldestVersion >= max) {
      const toDelete = meta.currentVersion - max;
      for (let i = meta.oldestVersion; i <= toDelete; i++) meta.versions.delete(i);
      meta.oldestVersion = toDelete + 1;
    }
    m.keys.set(meta.key, meta);
    return [meta.currentVersion, v];
  }

  private dataWrite(m: KvMount, key: string, data: Record<string, unknown>): Result {
    if (!('data' in data)) return { t: 'err', status: 400, errors: [MSG.noData] };
    const value = weakMap(data.data, 'data');
    weakMap(data.options, 'options');
    const meta = m.keys.get(key) ?? newKey(key);
    const casError = this.checkAndSet(m, meta, data);
    if (casError) return { t: 'err', status: 400, errors: [casError] };
    const [version, v] = this.addVersion(m, meta, value);
    return { t: 'resp', data: this.versionMetadata(meta, version, v) };
  }

  private dataPatch(m: KvMount, key: string, data: Record<string, unknown>): Result {
    if (!('data' in data)) return { t: 'err', status: 400, errors: [MSG.noData] };
    const patch = weakMap(data.data, 'data');
    const meta = m.keys.get(key);
    if (!meta) return { t: 'empty404' };
    const casError = this.checkAndSet(m, meta, data);
    if (casError) return { t: 'err', status: 400, errors: [casError] };
    const current = meta.versions.get(meta.currentVersion);
    if (!current) return { t: 'empty404' };
    if (this.isDeleted(current) || current.destroyed) {
      return { t: 'resp', data: this.versionMetadata(meta, meta.currentVersion, current), status: 404 };
    }
    const [version, v] = this.addVersion(m, meta, mergePatch(current.data, patch ?? {}));
    return { t: 'resp', data: this.versionMetadata(meta, version, v) };
  }

  private dataDelete(m: KvMount, key: string): Result {
    const meta = m.keys.get(key);
    const latest = meta?.versions.get(meta.currentVersion);
    if (latest && !latest.destroyed && !this.isDeleted(latest)) latest.deletionNs = nowNs();
    return { t: 'none' };
  }

  private versionsAction(m: KvMount, action: 'delete' | 'undelete' | 'destroy', key: string, data: Record<string, unknown>): Result {
    const versions = commaInts(data.versions, 'versions');
    if (versions.length === 0) {
      return { t: 'err', status: 400, errors: [action === 'destroy' ? MSG.noVersionDestroy : MSG.noVersionDelete] };
    }
    const meta = m.keys.get(key);
    if (!meta) return { t: 'none' };
    for (const n of versions) {
      const v = meta.versions.get(n);
      if (!v || v.destroyed) continue;
      if (action === 'delete') {
        if (!this.isDeleted(v)) v.deletionNs = nowNs();
      } else if (action === 'undelete') {
        v.deletionNs = null;
        if (m.config.deleteVersionAfter >= 0) {
          const candidates = [m.config.deleteVersionAfter, meta.deleteVersionAfter].filter((d) => d > 0);
          if (candidates.length > 0) v.deletionNs = nowNs() + BigInt(Math.min(...candidates)) * 1_000_000_000n;
        }
      } else {
        v.destroyed = true;
        v.data = undefined;
      }
    }
    return { t: 'none' };
  }

  private metadataRead(m: KvMount, key: string): Result {
    const meta = m.keys.get(key);
    if (!meta) return { t: 'none' };
    const versions: Record<string, unknown> = {};
    for (const [n, v] of meta.versions) {
      versions[String(n)] = {
        created_time: rfc3339Nano(v.createdNs),
        deletion_time: rfc3339Nano(v.deletionNs),
        destroyed: v.destroyed,
      };
    }
    return {
      t: 'resp',
      data: {
        cas_required: meta.casRequired,
        created_time: rfc3339Nano(meta.createdNs),
        current_version: meta.currentVersion,
        custom_metadata: customMetadataOut(meta),
        delete_version_after: goDuration(meta.deleteVersionAfter),
        max_versions: meta.maxVersions,
        oldest_version: meta.oldestVersion,
        updated_time: rfc3339Nano(meta.updatedNs),
        versions,
      },
    };
  }

  private metadataList(m: KvMount, prefix: string, data: Record<string, unknown>): Result {
    const excludeDeleted = weakBool(data.exclude_deleted, 'exclude_deleted');
    const names = [...m.keys.values()]
      .filter((meta) => {
        if (!excludeDeleted) return true;
        const current = meta.versions.get(meta.currentVersion);
        return !(current && current.deletionNs !== null);
      })
      .map((meta) => meta.key);
    return { t: 'resp', data: { keys: childKeys(names, prefix) } };
  }

  private parseCustomMetadata(raw: unknown, filterNulls: boolean): Record<string, string> {
    const map = weakMap(raw, 'custom_metadata') ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map)) {
      if (filterNulls && v === null) continue;
      try {
        out[k] = weakString(v);
      } catch (err) {
        throw new FieldError(`${MSG.cmPrefix}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private metadataWrite(m: KvMount, key: string, data: Record<string, unknown>): Result {
    const has = (f: string): boolean => f in data;
    if (!has('max_versions') && !has('cas_required') && !has('delete_version_after') && !has('custom_metadata')) {
      return { t: 'none' };
    }
    if (key === '') return { t: 'err', status: 400, errors: ['missing path'] };
    const maxVersions = has('max_versions') ? weakInt(data.max_versions, 'max_versions') : undefined;
    const casRequired = has('cas_required') ? weakBool(data.cas_required, 'cas_required') : undefined;
    const dva = has('delete_version_after') ? durationSeconds(data.delete_version_after, 'delete_version_after') : undefined;
    let customMetadata: Record<string, string> | undefined;
    if (has('custom_metadata')) {
      try {
        customMetadata = this.parseCustomMetadata(data.custom_metadata, false);
      } catch (err) {
        return { t: 'err', status: 400, errors: [(err as Error).message] };
      }
      const errors = validateCustomMetadata(customMetadata);
      if (errors) return { t: 'err', status: 400, errors: [errors] };
    }
    const warnings =
      casRequired === false && m.config.casRequired
        ? ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']
        : undefined;
    let meta = m.keys.get(key);
    if (!meta) {
      meta = newKey(key);
      meta.createdNs = nowNs();
      meta.updatedNs = meta.createdNs;
      m.keys.set(key, meta);
    }
    if (maxVersions !== undefined) meta.maxVersions = maxVersions;
    if (casRequired !== undefined) meta.casRequired = casRequired;
    if (dva !== undefined) meta.deleteVersionAfter = dva;
    if (customMetadata !== undefined) meta.customMetadata = customMetadata;
    return warnings ? { t: 'resp', data: null, warnings } : { t: 'none' };
  }

  private metadataPatch(m: KvMount, key: string, data: Record<string, unknown>): Result {
    if (key === '') return { t: 'err', status: 400, errors: ['missing path'] };
    if ('custom_metadata' in data) {
      let filtered: Record<string, string>;
      try {
        filtered = this.parseCustomMetadata(data.custom_metadata, true);
      } catch (err) {
        return { t: 'err', status: 400, errors: [(err as Error).message] };
      }
      const errors = validateCustomMetadata(filtered);
      if (errors) return { t: 'err', status: 400, errors: [errors] };
    }
    const meta = m.keys.get(key);
    if (!meta) return { t: 'empty404' };
    if ('max_versions' in data) meta.maxVersions = weakInt(data.max_versions, 'max_versions');
    if ('cas_required' in data) meta.casRequired = weakBool(data.cas_required, 'cas_required');
    if ('delete_version_after' in data) {
      meta.deleteVersionAfter = durationSeconds(data.delete_version_after, 'delete_version_after');
    }
    if ('custom_metadata' in data) {
      const patched = mergePatch(meta.customMetadata, data.custom_metadata ?? {}) as Record<string, unknown>;
      meta.customMetadata = Object.fromEntries(Object.entries(patched).map(([k, v]) => [k, weakString(v)]));
    }
    const warnings =
      'cas_required' in data && !meta.casRequired && m.config.casRequired
        ? ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']
        : undefined;
    return warnings ? { t: 'resp', data: null, warnings } : { t: 'none' };
  }
}

// ------------------------------------------------------------------------------------------------
// Free helpers
// ------------------------------------------------------------------------------------------------

function newKey(key: string): KvKey {
  return {
    key,
    currentVersion: 0,
    oldestVersion: 0,
    maxVersions: 0,
    casRequired: false,
    deleteVersionAfter: 0,
    customMetadata: {},
    createdNs: null,
    updatedNs: null,
    versions: new Map(),
  };
}

function customMetadataOut(meta: KvKey): Record<string, string> | null {
  return Object.keys(meta.customMetadata).length === 0 ? null : { ...meta.customMetadata };
}

/** validateCustomMetadata of the plugin (keys visited in sorted order for a stable message). */
function validateCustomMetadata(cm: Record<string, string>): string | undefined {
  const keys = Object.keys(cm);
  if (keys.length > 64) return multiError([`${MSG.cmPrefix}: payload must contain at most 64 keys, provided ${keys.length}`]);
  const errors: string[] = [];
  for (const key of keys.sort(byteOrder)) {
    const value = cm[key];
    const keyLen = Buffer.byteLength(key);
    const valueLen = Buffer.byteLength(value);
    if (keyLen === 0 || keyLen > 128) {
      errors.push(`${MSG.cmPrefix}: length of key ${JSON.stringify(key)} is ${keyLen} but must be 0 < len(key) <= 128`);
    }
    if (valueLen === 0 || valueLen > 512) {
      errors.push(
        `${MSG.cmPrefix}: length of value for key ${JSON.stringify(key)} is ${valueLen} but must be 0 < len(value) <= 512`,
      );
    }
    if (!printable(key)) {
      errors.push(`${MSG.cmPrefix}: key ${JSON.stringify(key)} (${key}) contains unprintable characters`);
    }
    if (!printable(value)) {
      errors.push(`${MSG.cmPrefix}: value for key ${JSON.stringify(key)} contains unprintable characters`);
    }
  }
  return errors.length > 0 ? multiError(errors) : undefined;
}

/** Immediate children of `prefix` (which ends in `/` or is empty), folders with a trailing `/`, sorted. */
function childKeys(names: Iterable<string>, prefix: string): string[] {
  const out = new Set<string>();
  for (const name of names) {
    if (!name.startsWith(prefix) || name === prefix) continue;
    const rest = name.slice(prefix.length);
    const slash = rest.indexOf('/');
    out.add(slash === -1 ? rest : rest.slice(0, slash + 1));
  }
  return [...out].sort(byteOrder);
}

function unsupported(mountType: string): Routed {
  return { result: { t: 'err', status: 405, errors: [MSG.unsupported] }, mountType };
}

function noHandler(path: string): string {
  return `no handler for route ${JSON.stringify(path)}. route entry not found.`;
}

function allowed(token: TokenEntry, path: string): boolean {
  if (token.policies.includes('root')) return true;
  if (DEFAULT_POLICY_PATHS.includes(path)) return true;
  if (token.paths === undefined) return true;
  return token.paths.some((p) => path.startsWith(p.endsWith('*') ? p.slice(0, -1) : p));
}

/** RespondErrorCommon + respondLogical: turn a handler result into an HTTP reply. */
function answer(req: LogicalRequest, routed: Routed): Reply {
  const { result } = routed;
  switch (result.t) {
    case 'err':
      return errorReply(result.status, result.errors);
    case 'empty404':
      return { status: 404, contentType: 'application/json', body: '' };
    case 'none':
      return req.op === 'read' || req.op === 'list' ? errorReply(404, []) : { status: 204 };
    case 'resp': {
      if (result.status !== undefined) {
        // logical.RespondWithStatusCode: the envelope without mount_type, no `errors`.
        return jsonReply(result.status, envelope({ data: result.data ?? null, warnings: result.warnings, auth: result.auth, mountType: '' }));
      }
      const warnings = [...(result.warnings ?? [])];
      const unknown = routed.fields ? Object.keys(req.data).filter((k) => !routed.fields?.includes(k)) : [];
      if (unknown.length > 0) warnings.push(`Endpoint ignored these unrecognized parameters: [${unknown.sort(byteOrder).join(' ')}]`);
      let data = result.data;
      if (req.op === 'list') {
        const keys = (data as { keys?: unknown[] } | null)?.keys;
        if (!keys || keys.length === 0) {
          if (warnings.length === 0) return errorReply(404, []);
          data = {};
        }
      }
      const body = envelope({ data: data ?? null, warnings, auth: result.auth, mountType: routed.mountType });
      if (result.sysInject && data && typeof data === 'object') Object.assign(body, data);
      return jsonReply(200, body);
    }
    default:
      return errorReply(500, ['unreachable']);
  }
}

function envelope(p: { data: unknown; warnings?: string[]; auth?: object | null; mountType: string }): Record<string, unknown> {
  return struct<Record<string, unknown>>({
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: p.data,
    wrap_info: null,
    warnings: p.warnings && p.warnings.length > 0 ? p.warnings : null,
    auth: p.auth ?? null,
    mount_type: p.mountType,
  });
}

function jsonReply(status: number, body: unknown): Reply {
  return { status, contentType: 'application/json', body: `${encodeGo(body)}\n` };
}

function errorReply(status: number, errors: string[]): Reply {
  return jsonReply(status, struct({ errors }));
}

function queryData(params: URLSearchParams): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    data[key] = values.length === 1 ? values[0] : values;
  }
  return data;
}

function requestToken(headers: Record<string, string>): string | undefined {
  const direct = headers['x-vault-token'];
  if (direct) return direct;
  const auth = headers.authorization;
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m ? m[1].trim() : undefined;
}

function matchesFilter(filter: FaultFilter, method: string, path: string): boolean {
  if (filter.method && filter.method.toUpperCase() !== method) return false;
  if (filter.path === undefined) return true;
  return typeof filter.path === 'string' ? path.startsWith(filter.path) : filter.path.test(path);
}

function parseJsonLoose(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function cleanPath(p: string): string {
  if (p === '') return '/';
  let np = posix.normalize(p.startsWith('/') ? p : `/${p}`);
  if (p.endsWith('/') && np !== '/' && !np.endsWith('/')) np += '/';
  return np;
}

function trimSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

function randomToken(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- minimal HTTP/1.1 ------------------------------------------------------------------------------

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 32 * 1024 * 1024;

function parseHttpRequest(buf: Buffer): { req: HttpRequest; consumed: number } | 'incomplete' | { error: string } {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd === -1) return buf.length > MAX_HEAD ? { error: 'head too large' } : 'incomplete';
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(1\.[01])$/.exec(lines[0] ?? '');
  if (!requestLine) return { error: 'bad request line' };
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: 'bad header' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let offset = headEnd + 4;
  let body: Buffer;
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', offset);
      if (lineEnd === -1) return 'incomplete';
      const size = Number.parseInt(buf.subarray(offset, lineEnd).toString('latin1').split(';')[0].trim(), 16);
      if (!Number.isFinite(size) || size < 0) return { error: 'bad chunk' };
      offset = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n', offset);
        if (trailerEnd === -1) return 'incomplete';
        if (trailerEnd === offset) {
          offset += 2;
        } else {
          const end = buf.indexOf('\r\n\r\n', offset);
          if (end === -1) return 'incomplete';
          offset = end + 4;
        }
        break;
      }
      if (buf.length < offset + size + 2) return 'incomplete';
      chunks.push(buf.subarray(offset, offset + size));
      offset += size + 2;
    }
    body = Buffer.concat(chunks);
  } else {
    const length = Number.parseInt(headers['content-length'] ?? '0', 10);
    if (!Number.isFinite(length) || length < 0 || length > MAX_BODY) return { error: 'bad content-length' };
    if (buf.length < offset + length) return 'incomplete';
    body = Buffer.from(buf.subarray(offset, offset + length));
    offset += length;
  }
  return {
    req: { method: requestLine[1], target: requestLine[2], httpVersion: requestLine[3], headers, body },
    consumed: offset,
  };
}

function wantsKeepAlive(req: HttpRequest): boolean {
  const connection = (req.headers.connection ?? '').toLowerCase();
  if (req.httpVersion === '1.0') return connection.includes('keep-alive');
  return !connection.includes('close');
}

function serializeReply(reply: Reply, head: boolean, keepAlive: boolean): Buffer {
  const reason = STATUS_CODES[reply.status] ?? `status code ${reply.status}`;
  const lines = [`HTTP/1.1 ${reply.status} ${reason}`, `Date: ${new Date().toUTCString()}`, 'Cache-Control: no-store'];
  for (const [name, value] of Object.entries(reply.headers ?? {})) lines.push(`${name}: ${value}`);
  const noBody = reply.status === 204 || reply.status === 304 || reply.status < 200;
  const body = noBody || head ? Buffer.alloc(0) : Buffer.from(reply.body ?? '', 'utf8');
  if (!noBody) {
    if (reply.contentType) lines.push(`Content-Type: ${reply.contentType}`);
    lines.push(`Content-Length: ${head ? Buffer.byteLength(reply.body ?? '') : body.length}`);
  }
  lines.push(`Connection: ${keepAlive ? 'keep-alive' : 'close'}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}
