import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database too: UPDATE is refused, and DELETE only by the
 * retention job, which sets `strongroom.audit_prune` for its transaction. (Someone with superuser
 * rights can still disable the trigger; the hash chain and signed checkpoints catch that.)
 */
export class AuditAppendOnly1796100000000 implements MigrationInterface {
  name = 'AuditAppendOnly1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION strongroom_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('strongroom.audit_prune', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(
      'CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION strongroom_audit_append_only()',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER audit_events_append_only ON audit_events');
    await queryRunner.query('DROP FUNCTION strongroom_audit_append_only()');
  }
}
