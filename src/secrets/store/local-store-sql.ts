/**
 * The local store's two hot statements, apart from the store so that the benchmark's floor
 * (bench/baseline/floor.ts) runs the very same texts without loading the ORM.
 */

/**
 * Check-and-set in the INSERT itself: it writes only if the latest version is the expected one
 * ($4), and the primary key stops two writers that both saw it.
 */
export const PUT_PAYLOAD = `INSERT INTO local_secret_payloads (secret_id, store_version, payload)
         SELECT $1::varchar, $2::int, $3::text
         WHERE (SELECT coalesce(max(store_version), 0) FROM local_secret_payloads WHERE secret_id = $1::varchar) = $4::int
         RETURNING 1 AS written`;

/** The read fast path: the secret, version $2 (default: the current one) and its local payload. */
export const LOCATE = `SELECT s.id, s.name, s.secret_type, s.store, s.encrypt_locally, s.current_version,
              v.version, v.state, v.store_version, p.payload
       FROM secrets s
       LEFT JOIN secret_versions v ON v.secret_id = s.id AND v.version = coalesce($2::int, s.current_version)
       LEFT JOIN local_secret_payloads p ON s.store = 'local' AND p.secret_id = s.id AND p.store_version = v.store_version
       WHERE s.id = $1 AND s.deleted_at IS NULL`;
