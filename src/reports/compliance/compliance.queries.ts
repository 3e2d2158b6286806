import { num } from '../document-parts.js';
import type { ReportPeriod } from '../reports.types.js';
import type { Db } from '../shared/posture.queries.js';

/** Queries only the compliance summary needs (the rest are shared in posture.queries.ts). */

/** Security reports stored (generated) within the period. */
export async function securityReportsIn(db: Db, p: ReportPeriod): Promise<number> {
  const [r] = (await db.query("SELECT count(*) AS n FROM reports WHERE kind = 'security' AND generated_at >= $1 AND generated_at < $2", [
    p.from,
    p.to,
  ])) as { n: string }[];
  return num(r?.n);
}
