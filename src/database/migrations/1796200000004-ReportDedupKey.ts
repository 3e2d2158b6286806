import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one stored report per kind, standard and period: generation on request goes through a
 * dedup key (see src/reports/README.md). Reports stored before have none (NULLs do not collide).
 */
export class ReportDedupKey1796200000004 implements MigrationInterface {
  name = 'ReportDedupKey1796200000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "reports" ADD "dedup_key" character varying(160)');
    await queryRunner.query('CREATE UNIQUE INDEX "reports_dedup_key_idx" ON "reports" ("dedup_key") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."reports_dedup_key_idx"');
    await queryRunner.query('ALTER TABLE "reports" DROP COLUMN "dedup_key"');
  }
}
