import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Compromise response (issue 15): incidents with their per-secret outcomes, and the subject lockouts auth enforces. */
export class Incidents1796600000061 implements MigrationInterface {
  name = 'Incidents1796600000061';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"subject_lockouts\" (\"ref\" character varying(40) NOT NULL, \"sub\" character varying(256) NOT NULL, \"locked_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"locked_by\" character varying(256) NOT NULL, CONSTRAINT \"PK_874b07942e831374a1091db64cc\" PRIMARY KEY (\"ref\"))");
    await queryRunner.query("CREATE INDEX \"subject_lockouts_sub_idx\" ON \"subject_lockouts\"  (\"sub\") ");
    await queryRunner.query("CREATE TABLE \"incidents\" (\"id\" character varying(40) NOT NULL, \"subject\" character varying(256) NOT NULL, \"window_from\" TIMESTAMP WITH TIME ZONE NOT NULL, \"window_to\" TIMESTAMP WITH TIME ZONE NOT NULL, \"reason\" character varying(500) NOT NULL, \"status\" character varying(24) NOT NULL, \"task_id\" character varying(40) NOT NULL, \"secrets_total\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_by\" character varying(256) NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"lifted_at\" TIMESTAMP WITH TIME ZONE, \"lifted_by\" character varying(256), \"lift_reason\" character varying(500), CONSTRAINT \"PK_ccb34c01719889017e2246469f9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"incidents_subject_idx\" ON \"incidents\"  (\"subject\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"incidents_created_idx\" ON \"incidents\"  (\"created_at\", \"id\") ");
    await queryRunner.query("CREATE TABLE \"incident_secrets\" (\"incident_id\" character varying(40) NOT NULL, \"secret_id\" character varying(40) NOT NULL, \"secret_name\" character varying(128), \"secret_type\" character varying(32), \"reads\" integer NOT NULL, \"first_read_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"last_read_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"outcome\" character varying(24) NOT NULL, \"rotation_id\" character varying(40), \"from_version\" integer, \"to_version\" integer, \"error\" character varying(500), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_170cb16982f146424849f6cd408\" PRIMARY KEY (\"incident_id\", \"secret_id\"))");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TABLE \"incident_secrets\"");
    await queryRunner.query("DROP INDEX \"public\".\"incidents_created_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"incidents_subject_idx\"");
    await queryRunner.query("DROP TABLE \"incidents\"");
    await queryRunner.query("DROP INDEX \"public\".\"subject_lockouts_sub_idx\"");
    await queryRunner.query("DROP TABLE \"subject_lockouts\"");
  }
}
