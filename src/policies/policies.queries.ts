import type { EntityManager } from 'typeorm';
import type { SecretAttributes } from './policy-evaluation.js';

/**
 * The attributes policy selectors look at, of one live secret (a read of the secrets table,
 * which the secrets module owns and writes; policies never write it). Undefined: no live secret.
 */
export async function secretAttributes(tx: EntityManager, id: string): Promise<SecretAttributes | undefined> {
  const rows = (await tx.query('SELECT id, name, secret_type, tags FROM secrets WHERE id = $1 AND deleted_at IS NULL', [id])) as {
    id: string;
    name: string;
    secret_type: string;
    tags: Record<string, string>;
  }[];
  const r = rows[0];
  return r ? { id: r.id, name: r.name, secretType: r.secret_type, tags: r.tags ?? {} } : undefined;
}
