import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Failed-authentication counts shared by every replica (see src/auth/auth-failure-limiter.ts). */
export class AuthFailureWindows1796200000003 implements MigrationInterface {
  name = 'AuthFailureWindows1796200000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"auth_failure_windows\" (\"client_address\" character varying(64) NOT NULL, \"window_start\" TIMESTAMP WITH TIME ZONE NOT NULL, \"window_end\" TIMESTAMP WITH TIME ZONE NOT NULL, \"failures\" integer NOT NULL DEFAULT '0', \"suppressed\" integer NOT NULL DEFAULT '0', CONSTRAINT \"PK_171ee6be9f5af728dbcc4979f8f\" PRIMARY KEY (\"client_address\", \"window_start\"))");
    await queryRunner.query("CREATE INDEX \"auth_failure_windows_end_idx\" ON \"auth_failure_windows\"  (\"window_end\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"auth_failure_windows_end_idx\"");
    await queryRunner.query("DROP TABLE \"auth_failure_windows\"");
  }
}
