/** libpq's TLS modes, as a rotator's settings may name them (the meaning: src/rotation/rotator-target.ts). */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
/** Absent sslmode: TLS whenever the target offers it (why: src/rotation/rotator-target.ts). */
export const DEFAULT_SSL_MODE: SslMode = 'prefer';
