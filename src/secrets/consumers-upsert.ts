/**
 * SecretConsumers' batched upsert of who read which version, apart from the service so that the
 * benchmark's floor (bench/baseline/floor.ts) runs the very same text without the framework.
 * One JSON parameter of pairs; a pair whose secret is gone is skipped, counts add up, and the
 * latest read's version wins whichever batch arrives first.
 */
export const CONSUMERS_UPSERT = `INSERT INTO secret_consumers AS c (secret_id, sub, last_version, first_read_at, last_read_at, read_count)
           SELECT secret_id, sub, last_version, first_read_at, last_read_at, read_count
           FROM json_to_recordset($1::json) AS r(secret_id text, sub text, last_version int, first_read_at timestamptz, last_read_at timestamptz, read_count bigint)
           WHERE EXISTS (SELECT 1 FROM secrets s WHERE s.id = r.secret_id)
           ON CONFLICT (secret_id, sub) DO UPDATE SET
             last_version = CASE WHEN EXCLUDED.last_read_at >= c.last_read_at THEN EXCLUDED.last_version ELSE c.last_version END,
             last_read_at = greatest(c.last_read_at, EXCLUDED.last_read_at),
             first_read_at = least(c.first_read_at, EXCLUDED.first_read_at),
             read_count = c.read_count + EXCLUDED.read_count`;
