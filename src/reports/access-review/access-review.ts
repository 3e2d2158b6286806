import { chart, iso, item, listNote, table, text } from '../document-parts.js';
import type { ReportBody, ReportPeriod } from '../reports.types.js';
import type { Db } from '../shared/posture.queries.js';
import {
  type AccessTotals,
  accessByActor,
  accessByActorAndSecret,
  accessBySecret,
  accessTotals,
  type ActorAccess,
  type DormantActor,
  dormantActors,
  type PairAccess,
  type SecretAccess,
  listingSubs,
  type PolicyRow,
  valueReadsByPolicy,
  valueReadsBySubs,
} from './access-review.queries.js';
import { selectorMismatches } from '../../policies/policy-evaluation.js';
import { readPolicies } from '../../policies/policies.queries.js';

/** One (policy, subject, capability) grant that nothing used in the period. */
export interface UnusedGrant {
  policy: string;
  subject: string;
  capability: string;
  /** Why: never used, or not attributable from the audit log (role/group/azp subjects). */
  note: string;
}

/**
 * Grants never used in the period, from the audit log: a `sub:` subject's read_value is used when
 * that sub read the value of a secret the policy selects; its list when that sub listed secrets.
 * Audit rows record the sub, not groups or azp: a role:/group:/azp: subject's read_value counts as
 * used when a value read in the period names this policy (readers' rows do) and was made by an
 * actor none of the policy's sub: subjects names; their list grants are not attributable.
 */
export async function unusedGrants(db: Db, period: ReportPeriod, policies: PolicyRow[]): Promise<UnusedGrant[]> {
  const subs = [...new Set(policies.flatMap((p) => p.subjects.filter((s) => s.startsWith('sub:')).map((s) => s.slice(4))))];
  const [reads, listers, byPolicy] = await Promise.all([
    valueReadsBySubs(db, period, subs),
    listingSubs(db, period, subs),
    valueReadsByPolicy(db, period),
  ]);
  const out: UnusedGrant[] = [];
  for (const p of policies) {
    for (const subject of p.subjects) {
      for (const capability of p.capabilities) {
        if (!subject.startsWith('sub:')) {
          if (capability === 'list') {
            out.push({ policy: p.name, subject, capability, note: 'not attributable from the audit log (only sub is recorded)' });
          } else {
            const named = new Set(p.subjects.filter((x) => x.startsWith('sub:')).map((x) => x.slice(4)));
            const others = [...(byPolicy.get(p.name) ?? [])].filter((actor) => !named.has(actor));
            if (others.length === 0) out.push({ policy: p.name, subject, capability, note: 'no value read through this policy by a caller it names by role, group or azp' });
          }
          continue;
        }
        const sub = subject.slice(4);
        const used =
          capability === 'list'
            ? listers.has(sub)
            : reads.some((r) => r.actor === sub && selectorMismatches(p, { id: r.secretId, name: r.name, secretType: r.secretType, tags: r.tags }).length === 0);
        if (!used) out.push({ policy: p.name, subject, capability, note: 'not used in the period' });
      }
    }
  }
  return out;
}

const describeSelectors = (p: PolicyRow) =>
  [
    p.namePrefix ? `name starts with ${p.namePrefix}` : '',
    Object.keys(p.tags).length > 0 ? `tags ${Object.entries(p.tags).map(([k, v]) => `${k}:${v}`).join(', ')}` : '',
    p.secretTypes.length > 0 ? `types ${p.secretTypes.join(', ')}` : '',
    p.secretIds.length > 0 ? `ids ${p.secretIds.join(', ')}` : '',
  ]
    .filter((s) => s !== '')
    .join('; ') || 'any secret';

export interface AccessReviewFacts {
  period: ReportPeriod;
  now: Date;
  totals: AccessTotals;
  byActor: ActorAccess[];
  bySecret: SecretAccess[];
  pairs: PairAccess[];
  dormant: DormantActor[];
  policies: PolicyRow[];
  unusedGrants: UnusedGrant[];
}

export async function accessReviewFacts(db: Db, period: ReportPeriod, now: Date): Promise<AccessReviewFacts> {
  const [totals, byActor, bySecret, pairs, dormant, policies] = await Promise.all([
    accessTotals(db, period),
    accessByActor(db, period),
    accessBySecret(db, period),
    accessByActorAndSecret(db, period),
    dormantActors(db, period),
    readPolicies(db),
  ]);
  return { period, now, totals, byActor, bySecret, pairs, dormant, policies, unusedGrants: await unusedGrants(db, period, policies) };
}

const COUNT_COLUMNS: Array<[string, string]> = [
  ['value_reads', 'Value reads'],
  ['metadata_reads', 'Metadata reads'],
  ['changes', 'Changes'],
  ['first_access', 'First access'],
  ['last_access', 'Last access'],
];

export function buildAccessReview(f: AccessReviewFacts): ReportBody {
  const t = f.totals;
  const cells = (c: { valueReads: number; metadataReads: number; changes: number; first: Date | null; last: Date | null }) => ({
    value_reads: c.valueReads,
    metadata_reads: c.metadataReads,
    changes: c.changes,
    first_access: iso(c.first),
    last_access: iso(c.last),
  });
  const top = [...f.byActor].slice(0, 25);
  return {
    title: 'Access review',
    subtitle: `Who read or changed which secrets, ${f.period.from.toISOString().slice(0, 10)} to ${new Date(f.period.to.getTime() - 1).toISOString().slice(0, 10)}`,
    summary: [
      item('actors', 'Actors who accessed secrets', t.actors),
      item('secrets_accessed', 'Secrets accessed', t.secrets),
      item('value_reads', 'Value reads', t.valueReads),
      item('metadata_reads', 'Metadata reads', t.metadataReads),
      item('changes', 'Changes', t.changes),
      item('dormant_actors', 'Actors with unused access', f.dormant.length),
      item('access_policies', 'Access policies', f.policies.length),
      item('unused_grants', 'Policy grants not used', f.unusedGrants.length),
    ],
    sections: [
      text('overview', 'Overview', [
        'Built from the audit log: every successful audit row that names a secret. A value read is secret.value_read; a metadata read is secret.read, secret.versions_read or secret.rotations_read; a change is secret.created, secret.updated, secret.value_updated, secret.rotated, secret.deleted, secret.restored or secret.purged.',
        'Strongroom has no user directory, so "actors who hold access" are the actors seen in the audit log with the admin or auditor role in the 12 months before the period (system jobs and anonymous callers excluded). Those who read or changed no secret during the period are listed under "Actors with access who did not use it"; review whether they still need their role.',
      ]),
      table(
        'by-actor',
        'Access by actor',
        [['actor', 'Actor'], ['roles', 'Roles'], ['secrets', 'Secrets'], ...COUNT_COLUMNS],
        f.byActor.map((a) => ({ actor: a.actor, roles: a.roles, secrets: a.secrets, ...cells(a) })),
        { description: listNote(f.byActor.length, t.actors, 'actors', 'most active first'), empty: 'No secret was read or changed in the period.' },
      ),
      chart(
        'accesses-by-actor',
        'Secret accesses per actor',
        top.map((a) => ({ label: a.actor, value: a.valueReads + a.metadataReads + a.changes })),
        'accesses',
      ),
      table(
        'by-secret',
        'Access by secret',
        [['secret', 'Secret'], ['secret_id', 'Secret ID'], ['actors', 'Actors'], ...COUNT_COLUMNS],
        f.bySecret.map((s) => ({ secret: s.secretName, secret_id: s.secretId, actors: s.actors, ...cells(s) })),
        { description: listNote(f.bySecret.length, t.secrets, 'secrets', 'most accessed first'), empty: 'No secret was read or changed in the period.' },
      ),
      table(
        'by-actor-and-secret',
        'Access by actor and secret',
        [['actor', 'Actor'], ['secret', 'Secret'], ['secret_id', 'Secret ID'], ...COUNT_COLUMNS],
        f.pairs.map((p) => ({ actor: p.actor, secret: p.secretName, secret_id: p.secretId, ...cells(p) })),
        { description: listNote(f.pairs.length, t.pairs, 'actor/secret pairs', 'by actor, most accessed first'), empty: 'No secret was read or changed in the period.' },
      ),
      table(
        'dormant-actors',
        'Actors with access who did not use it',
        [
          ['actor', 'Actor'],
          ['roles', 'Roles held'],
          ['last_seen', 'Last seen'],
        ],
        f.dormant.map((d) => ({ actor: d.actor, roles: d.roles, last_seen: iso(d.lastSeen) })),
        {
          description: 'Seen with the admin or auditor role in the audit log in the 12 months before the period, with no read or change of a secret in the period.',
          empty: 'Every actor seen with a role in the previous 12 months read or changed a secret in the period.',
        },
      ),
      table(
        'access-policies',
        'Access policies',
        [['policy', 'Policy'], ['subjects', 'Subjects'], ['selects', 'Secrets selected'], ['capabilities', 'Capabilities']],
        f.policies.map((p) => ({ policy: p.name, subjects: p.subjects.join(', '), selects: describeSelectors(p), capabilities: p.capabilities.join(', ') })),
        { description: 'What each policy grants reader identities, as it stands now (deny by default: nothing else is granted).', empty: 'No access policy exists: no reader identity can read anything.' },
      ),
      table(
        'unused-grants',
        'Policy grants not used in the period',
        [['policy', 'Policy'], ['subject', 'Subject'], ['capability', 'Capability'], ['note', 'Note']],
        f.unusedGrants.map((g) => ({ ...g })),
        {
          description: 'A sub subject used read_value when it read the value of a secret the policy selects, and list when it listed secrets (successful audit rows in the period). Review whether these grants are still needed.',
          empty: 'Every policy grant was used in the period.',
        },
      ),
    ],
    metrics: {
      actors: t.actors,
      secrets_accessed: t.secrets,
      value_reads: t.valueReads,
      metadata_reads: t.metadataReads,
      changes: t.changes,
      actor_secret_pairs: t.pairs,
      dormant_actors: f.dormant.length,
      access_policies: f.policies.length,
      unused_grants: f.unusedGrants.length,
      first_access_at: iso(t.first),
      last_access_at: iso(t.last),
    },
  };
}

export async function accessReviewReport(db: Db, period: ReportPeriod, now: Date): Promise<ReportBody> {
  return buildAccessReview(await accessReviewFacts(db, period, now));
}
