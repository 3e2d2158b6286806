import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * key_checks: the key ids stored data needs, checked at boot. Seeded with the key ids existing
 * versions use, so a database from before this migration is checked too.
 */
export class KeyChecks1796200000005 implements MigrationInterface {
  name = 'KeyChecks1796200000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "key_checks" ("key_id" character varying(40) NOT NULL, "sealed" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_key_checks" PRIMARY KEY ("key_id"))',
    );
    await queryRunner.query(
      `INSERT INTO key_checks (key_id)
       SELECT key_id FROM secret_versions WHERE state <> 'destroyed' AND key_id IS NOT NULL
       UNION SELECT fingerprint_key_id FROM secret_versions WHERE state <> 'destroyed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "key_checks"');
  }
}
