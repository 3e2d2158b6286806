import { isIP } from 'node:net';
import { ConfigError } from './config.errors.js';
import type { Env } from './env-parsers.js';

/** Names proxy-addr (Fastify's trustProxy) understands for the usual private ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: the proxies (addresses or CIDRs, comma-separated, or loopback/linklocal/uniquelocal)
 * whose X-Forwarded-For hops we believe; the client is the right-most hop not in this list.
 * `false` or unset: no proxy, the socket address is the client. `true` is refused: it would trust
 * every hop, so the left-most value, which any client can write, would become its address.
 */
export function trustedProxies(env: Env, name = 'TRUST_PROXY'): string[] | false {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '' || ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) {
    throw new ConfigError(
      `${name}=true would let any client choose its address; list the proxies instead (addresses or CIDRs, e.g. ${name}=10.0.0.0/8, or loopback)`,
    );
  }
  const entries = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const entry of entries) {
    if (NAMED_RANGES.has(entry.toLowerCase())) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
    if (family === 0 || extra !== undefined || !prefixOk) {
      throw new ConfigError(`${name} must list proxy addresses or CIDRs, or loopback/linklocal/uniquelocal (got "${entry}")`);
    }
  }
  return entries.map((e) => (NAMED_RANGES.has(e.toLowerCase()) ? e.toLowerCase() : e));
}
