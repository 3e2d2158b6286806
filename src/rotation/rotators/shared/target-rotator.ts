import type { RotatorConfig, SecretEntity } from '../../../secrets/entities/secret.entity.js';
import { Rotator } from '../../rotator.port.js';
import { type CheckedTarget, type RotatorTargetPolicy, RotatorTargetRefused } from '../../rotator-target.js';
import { describeDriverError } from './dry-run.js';
import { rotatorSettings } from './settings.js';

/** DNS, TCP, TLS and login together; then each statement or command. */
export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * What every rotator with a target and an admin credential has: the target policy, its
 * timeouts, its own settings (`config`) and the admin credential they name.
 */
export abstract class TargetRotator<K extends RotatorConfig['kind'], T> extends Rotator {
  abstract override readonly kind: K;
  readonly external = true;

  constructor(
    protected readonly targets: RotatorTargetPolicy,
    protected readonly timeouts: T,
  ) {
    super();
  }

  override adminSecretId(secret: SecretEntity): string | null {
    return (this.config(secret) as { admin_secret_id?: string }).admin_secret_id ?? null;
  }

  protected config(secret: SecretEntity): Extract<RotatorConfig, { kind: K }> {
    return rotatorSettings(secret, this.kind);
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * A database connection to a checked target: its addresses in order (the next one only when one
 * is unreachable); with `prefer`, a server that answers it has no TLS is connected to again
 * without. Errors are the driver's message (never a password), or the TLS refusal.
 */
export async function connectInOrder<R>(
  host: string,
  target: CheckedTarget,
  tlsRefused: (e: unknown) => boolean,
  session: (address: string, tls: CheckedTarget['tls']) => Promise<R>,
): Promise<R> {
  let lastError: unknown;
  for (const { address } of target.addresses) {
    for (const tls of target.plainIfTlsRefused ? [target.tls, false as const] : [target.tls]) {
      try {
        return await session(address, tls);
      } catch (e) {
        lastError = e;
        if (tls && target.plainIfTlsRefused && tlsRefused(e)) continue;
        break;
      }
    }
    if (!UNREACHABLE.has((lastError as { code?: string }).code ?? '')) break;
  }
  if (lastError instanceof RotatorTargetRefused) throw lastError;
  if (tlsRefused(lastError)) throw new Error(`${host} does not offer TLS, and sslmode ${target.sslmode} requires it`);
  throw new Error(describeDriverError(lastError));
}
