import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * access_policies: what `reader` callers may list and read (src/policies). access_policies_version
 * is one row every policy change increments, so each replica notices a change by reading it.
 */
export class AccessPolicies1796300000021 implements MigrationInterface {
  name = 'AccessPolicies1796300000021';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "access_policies" ("id" character varying(40) NOT NULL, "name" character varying(64) NOT NULL, "description" text, "subjects" jsonb NOT NULL, "name_prefix" character varying(128), "tags" jsonb NOT NULL DEFAULT '{}', "secret_types" jsonb NOT NULL DEFAULT '[]', "secret_ids" jsonb NOT NULL DEFAULT '[]', "capabilities" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" character varying(256) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_by" character varying(256) NOT NULL, CONSTRAINT "PK_93705ea815f89343d7bf80cd60e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "access_policies_name_key" ON "access_policies" ("name") `);
    await queryRunner.query(
      `CREATE TABLE "access_policies_version" ("id" smallint NOT NULL, "version" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_b4ed42924b8edd329cf42cda044" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`INSERT INTO "access_policies_version" ("id", "version") VALUES (1, 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "access_policies_version"');
    await queryRunner.query('DROP INDEX "access_policies_name_key"');
    await queryRunner.query('DROP TABLE "access_policies"');
  }
}
