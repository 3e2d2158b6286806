import type { EntityManager } from 'typeorm';
import type { PolicyCapability } from './entities/access-policy.entity.js';
import type { Policy, SecretAttributes } from './policy-evaluation.js';

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

/**
 * Every access policy in its evaluated shape, by name: what the cache serves and what the access
 * review lists. Takes any query runner, so a report reads it inside its own snapshot.
 */
export async function readPolicies(db: Pick<EntityManager, 'query'>): Promise<Policy[]> {
  const rows = (await db.query(
    'SELECT id, name, subjects, name_prefix, tags, secret_types, secret_ids, capabilities FROM access_policies ORDER BY name',
  )) as {
    id: string;
    name: string;
    subjects: string[];
    name_prefix: string | null;
    tags: Record<string, string> | null;
    secret_types: string[] | null;
    secret_ids: string[] | null;
    capabilities: PolicyCapability[];
  }[];
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    subjects: r.subjects,
    namePrefix: r.name_prefix,
    tags: r.tags ?? {},
    secretTypes: r.secret_types ?? [],
    secretIds: r.secret_ids ?? [],
    capabilities: r.capabilities,
  }));
}
