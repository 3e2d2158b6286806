import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rotation that knows its consumers: a per-secret grace period for the previous version, and when
 * the current previous version is retired at the latest (src/secrets/README.md, Versions).
 */
export class SecretGracePeriod1796400000032 implements MigrationInterface {
  name = 'SecretGracePeriod1796400000032';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"secrets\" ADD \"grace_period_hours\" integer");
    await queryRunner.query("ALTER TABLE \"secrets\" ADD \"previous_retire_at\" TIMESTAMP WITH TIME ZONE");
    // The retirement loop's candidates: previous versions.
    await queryRunner.query("CREATE INDEX \"secret_versions_previous\" ON \"secret_versions\"  (\"secret_id\") WHERE state = 'previous'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "secret_versions_previous"');
    await queryRunner.query("ALTER TABLE \"secrets\" DROP COLUMN \"previous_retire_at\"");
    await queryRunner.query("ALTER TABLE \"secrets\" DROP COLUMN \"grace_period_hours\"");
  }
}
