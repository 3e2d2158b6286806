import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * secret_rotations.failure_cause: the typed reason of the last failure next to its message, so
 * the HTTP status of a failed rotation is chosen from a cause, not from the message's words.
 * Rows from before keep null (their status is read as `internal`).
 */
export class RotationFailureCause1796200000014 implements MigrationInterface {
  name = 'RotationFailureCause1796200000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "secret_rotations" ADD "failure_cause" character varying(24)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "secret_rotations" DROP COLUMN "failure_cause"');
  }
}
