import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { DomainError, DomainErrorCode } from '../common/domain-error.js';
import type { RotatorAllowList } from '../config/app-config.js';
import { DEFAULT_SSL_MODE, SSL_MODES, type SslMode } from '../secrets/ssl-modes.js';

/**
 * Where an external rotator may connect, for every rotator (postgres_role today; mysql, redis,
 * http later). A rotator holds an admin credential and sends it to its target, so the target is
 * checked three ways: against ROTATOR_ALLOWED_HOSTS (empty: nothing is allowed), against addresses
 * that are never a target even when listed (link-local, cloud metadata), and again at use, after
 * resolving the host once: the rotator connects to the address that was checked, so a DNS answer
 * that changes between check and connect (rebinding) cannot redirect it.
 */

/*
 * DEFAULT_SSL_MODE `prefer`: TLS whenever the target offers it. Not stricter by default because
 * targets without TLS exist and stay usable; what a downgrade could expose is limited by refusing
 * password and MD5 authentication without TLS (SCRAM never sends the password, `ALTER ROLE` sends
 * a verifier). The modes are declared with the stored settings (secrets/ssl-modes.ts).
 */
export { DEFAULT_SSL_MODE, SSL_MODES, type SslMode };

/** The part of a rotator's settings this module checks. */
export interface RotatorTarget {
  host: string;
  port: number;
  sslmode?: SslMode;
  /** PEM of the CA that signs the target's certificate (verify-full); absent: the system CAs. */
  ssl_ca?: string | null;
}

export interface CheckedTarget {
  host: string;
  port: number;
  /** Checked addresses, in resolver order: connect to these, never to `host` again. */
  addresses: { address: string; family: 4 | 6 }[];
  sslmode: SslMode;
  /** TLS options for the connection, or false for none. */
  tls: ConnectionOptions | false;
  /** prefer: when the target answers that it has no TLS, connect again without. */
  plainIfTlsRefused: boolean;
}

/** The target may not be used: a 400 at configuration and rotation time, never retried. */
export class RotatorTargetRefused extends DomainError {
  constructor(message: string) {
    super(DomainErrorCode.InvalidInput, message, { errors: [{ field: 'rotator', problems: [message] }] });
  }
}

/** Names of cloud metadata services (they resolve to the addresses below). */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'metadata.packet.net',
]);

/** Never a rotator target, whatever the allow-list says. */
const NEVER = new BlockList();
NEVER.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: AWS, GCP, Azure, OCI, DO metadata at .169.254
NEVER.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
NEVER.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": 0.0.0.0 reaches the local host
NEVER.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast, reserved, broadcast
NEVER.addSubnet('fe80::', 10, 'ipv6'); // link-local
NEVER.addSubnet('fd00:ec2::', 32, 'ipv6'); // AWS link services: metadata at fd00:ec2::254
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6'); // multicast

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The eight 16-bit groups of an IPv6 address (with `::` and a trailing dotted quad). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * An address as a connection would use it: IPv4-mapped IPv6 as IPv4. `embedded` is an IPv4
 * address another IPv6 form leads to (NAT64, 6to4, IPv4-compatible), checked against NEVER too.
 */
export function normalizeAddress(address: string): { address: string; family: 4 | 6; embedded?: string } {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(bare) === 4) return { address: bare, family: 4 };
  const g = ipv6Groups(bare);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return { address: v4(g[6]!, g[7]!), family: 4 };
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return { address: bare, family: 6, embedded: v4(g[6]!, g[7]!) };
  if (g[0] === 0x2002) return { address: bare, family: 6, embedded: v4(g[1]!, g[2]!) };
  if (zeros(6) && (g[6] !== 0 || g[7]! > 1)) return { address: bare, family: 6, embedded: v4(g[6]!, g[7]!) };
  return { address: bare, family: 6 };
}

/** Link-local, cloud metadata and other addresses no rotator may ever connect to. */
export function isNeverATarget(address: string): boolean {
  const n = normalizeAddress(address);
  if (NEVER.check(n.address, n.family === 4 ? 'ipv4' : 'ipv6')) return true;
  return n.embedded !== undefined && NEVER.check(n.embedded, 'ipv4');
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;
const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/** Problems with the TLS settings alone (sslmode and CA), for configuration time. */
export function tlsSettingsProblem(target: Pick<RotatorTarget, 'sslmode' | 'ssl_ca'>): string | null {
  if (target.ssl_ca === undefined || target.ssl_ca === null) return null;
  if (target.sslmode !== 'verify-full') return 'ssl_ca is used only with sslmode verify-full';
  try {
    new X509Certificate(target.ssl_ca);
    return null;
  } catch {
    return 'ssl_ca must be a PEM certificate';
  }
}

/** The allow-list and the address checks, from AppConfig.rotators. */
export class RotatorTargetPolicy {
  private readonly allowed = new BlockList();
  private readonly names: Set<string>;

  constructor(
    allowList: RotatorAllowList,
    private readonly resolveTimeoutMs: number,
    private readonly resolver: Resolver = systemResolver,
  ) {
    this.names = new Set(allowList.names);
    for (const n of allowList.networks) this.allowed.addSubnet(n.address, n.prefix, n.family === 4 ? 'ipv4' : 'ipv6');
  }

  /** Why `target` may not be used (no DNS, no connection), or null. For configuration time. */
  refusal(target: Pick<RotatorTarget, 'host'>): string | null {
    const host = target.host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      if (isNeverATarget(host)) return `${target.host} is a link-local or cloud metadata address and never a rotator target`;
      const n = normalizeAddress(host);
      if (!this.allowed.check(n.address, n.family === 4 ? 'ipv4' : 'ipv6')) return this.notListed(target.host);
      return null;
    }
    if (!HOST_NAME.test(host)) return `${target.host} is not a host name or an IP address`;
    if (METADATA_NAMES.has(host)) return `${target.host} is a cloud metadata service and never a rotator target`;
    return this.names.has(host) ? null : this.notListed(target.host);
  }

  /**
   * At use: the same check, then the host resolved once and every address checked (a listed
   * name that resolves to a link-local or metadata address is refused). Throws
   * RotatorTargetRefused before any connection; the caller connects only to `addresses`.
   */
  async check(target: RotatorTarget): Promise<CheckedTarget> {
    const refused = this.refusal(target);
    if (refused) throw new RotatorTargetRefused(refused);
    const host = target.host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: 4 | 6 }[];
    if (isIP(host)) {
      const n = normalizeAddress(host);
      addresses = [{ address: n.address, family: n.family }];
    } else {
      const found = await this.resolve(host);
      const bad = found.find((a) => isNeverATarget(a.address));
      if (bad) throw new RotatorTargetRefused(`${target.host} resolves to ${bad.address}, a link-local or cloud metadata address`);
      addresses = found.map((a) => {
        const n = normalizeAddress(a.address);
        return { address: n.address, family: n.family };
      });
    }
    const sslmode = target.sslmode ?? DEFAULT_SSL_MODE;
    // SNI and certificate checks use the configured name while the socket goes to the checked address.
    const servername = isIP(host) ? undefined : host;
    const tls: ConnectionOptions | false =
      sslmode === 'disable'
        ? false
        : sslmode === 'verify-full'
          ? { rejectUnauthorized: true, ...(target.ssl_ca ? { ca: target.ssl_ca } : {}), ...(servername ? { servername } : {}) }
          : { rejectUnauthorized: false, ...(servername ? { servername } : {}) };
    return { host, port: target.port, addresses, sslmode, tls, plainIfTlsRefused: sslmode === 'prefer' };
  }

  private async resolve(host: string): Promise<{ address: string; family: number }[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`resolving ${host} took longer than ${this.resolveTimeoutMs} ms`)), this.resolveTimeoutMs);
    });
    try {
      const found = await Promise.race([this.resolver(host), timeout]);
      if (found.length === 0) throw new Error(`${host} resolves to no address`);
      return found;
    } catch (e) {
      if (e instanceof Error && /resolves to no address|took longer/.test(e.message)) throw e;
      throw new Error(`${host} could not be resolved (${(e as { code?: string }).code ?? 'error'})`);
    } finally {
      clearTimeout(timer);
    }
  }

  private notListed(host: string): string {
    return this.names.size === 0 && this.emptyNetworks()
      ? `${host} is not an allowed rotator target: ROTATOR_ALLOWED_HOSTS is empty, so no external target is allowed`
      : `${host} is not on ROTATOR_ALLOWED_HOSTS`;
  }

  private emptyNetworks(): boolean {
    return this.allowed.rules.length === 0;
  }
}
