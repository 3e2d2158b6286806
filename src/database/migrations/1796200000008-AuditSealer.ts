import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows are written unsealed and chained later by one sealer (src/audit/README.md):
 *  - `id` becomes the key; `seq`, `prev_hash`, `hash` are NULL until sealed (`seq` unique).
 *  - `inserted_at` (statement_timestamp(), what the seal lag is measured from) is set by a BEFORE
 *    INSERT trigger, so a writer can neither omit nor forge it.
 *  - The append-only trigger now allows exactly one UPDATE per row: the seal (seq, prev_hash, hash
 *    from NULL to values, nothing else changed). An unsealed row can never be deleted, a sealed one
 *    only by retention (`strongroom.audit_prune`).
 *  - `audit_verifications`: every verification's verdict, from which the fleet gauge is computed.
 */
export class AuditSealer1796200000008 implements MigrationInterface {
  name = 'AuditSealer1796200000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "audit_verifications" ("id" BIGSERIAL NOT NULL, "kind" character varying(12) NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE NOT NULL, "valid" boolean NOT NULL, "checked" bigint NOT NULL, "head_seq" bigint, "unsealed" bigint NOT NULL, "first_invalid_id" character varying(40), "reason" text, CONSTRAINT "PK_b0d662ddbb3679bb08f61a6e4d4" PRIMARY KEY ("id"))',
    );
    // Adding columns fires no row trigger; existing rows are all sealed.
    await queryRunner.query('ALTER TABLE "audit_events" ADD "id" BIGSERIAL NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ADD "inserted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "inserted_at" DROP DEFAULT');
    await queryRunner.query('ALTER TABLE "audit_events" DROP CONSTRAINT "PK_6e299f5706e715265416fefe53e"');
    await queryRunner.query('ALTER TABLE "audit_events" ADD CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id")');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "seq" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "prev_hash" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "hash" DROP NOT NULL');
    await queryRunner.query('CREATE UNIQUE INDEX "audit_events_seq_key" ON "audit_events" ("seq")');
    await queryRunner.query('CREATE INDEX "audit_events_unsealed_idx" ON "audit_events" ("id") WHERE seq IS NULL');

    await queryRunner.query(`
      CREATE FUNCTION strongroom_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.inserted_at := statement_timestamp();
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      'CREATE TRIGGER audit_events_insert BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION strongroom_audit_insert()',
    );
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION strongroom_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF OLD.seq IS NULL THEN
            RAISE EXCEPTION 'audit_events is append-only (an unsealed row cannot be deleted)' USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF current_setting('strongroom.audit_prune', true) = 'on' THEN
            RETURN OLD;
          END IF;
        ELSIF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
          AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
          AND current_setting('strongroom.audit_seal', true) = 'on'
          AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
          RETURN NEW; -- the seal: once, and nothing but the seal columns
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION strongroom_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('strongroom.audit_prune', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query('DROP TRIGGER audit_events_insert ON audit_events');
    await queryRunner.query('DROP FUNCTION strongroom_audit_insert()');
    // Unsealed rows have no place in the old schema.
    await queryRunner.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    await queryRunner.query('DELETE FROM audit_events WHERE seq IS NULL');
    await queryRunner.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    await queryRunner.query('DROP INDEX "public"."audit_events_unsealed_idx"');
    await queryRunner.query('DROP INDEX "public"."audit_events_seq_key"');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "hash" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "prev_hash" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" ALTER COLUMN "seq" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "audit_events" DROP CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407"');
    await queryRunner.query('ALTER TABLE "audit_events" ADD CONSTRAINT "PK_6e299f5706e715265416fefe53e" PRIMARY KEY ("seq")');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "inserted_at"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP COLUMN "id"');
    await queryRunner.query('DROP TABLE "audit_verifications"');
  }
}
