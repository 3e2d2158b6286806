import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1796002376940 implements MigrationInterface {
  name = 'Init1796002376940';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"audit_checkpoints\" (\"id\" BIGSERIAL NOT NULL, \"kind\" character varying(8) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"head_seq\" bigint NOT NULL, \"head_hash\" character(64) NOT NULL, \"first_seq\" bigint, \"first_prev_hash\" character(64), \"key_id\" character varying(40) NOT NULL, \"signature\" text NOT NULL, CONSTRAINT \"PK_ec62ec0b7b181580b1fa64e1167\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"audit_events\" (\"seq\" bigint NOT NULL, \"occurred_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"actor\" character varying(256) NOT NULL, \"roles\" text array NOT NULL, \"action\" character varying(48) NOT NULL, \"outcome\" character varying(8) NOT NULL, \"secret_id\" character varying(40), \"secret_name\" character varying(128), \"request_id\" character varying(64), \"client_ip\" character varying(64), \"user_agent\" character varying(256), \"details\" jsonb NOT NULL DEFAULT '{}', \"prev_hash\" character(64) NOT NULL, \"hash\" character(64) NOT NULL, CONSTRAINT \"PK_6e299f5706e715265416fefe53e\" PRIMARY KEY (\"seq\"))");
    await queryRunner.query("CREATE INDEX \"audit_events_action_idx\" ON \"audit_events\"  (\"action\", \"seq\") ");
    await queryRunner.query("CREATE INDEX \"audit_events_actor_idx\" ON \"audit_events\"  (\"actor\", \"seq\") ");
    await queryRunner.query("CREATE INDEX \"audit_events_secret_idx\" ON \"audit_events\"  (\"secret_id\", \"seq\") ");
    await queryRunner.query("CREATE INDEX \"audit_events_time_idx\" ON \"audit_events\"  (\"occurred_at\") ");
    await queryRunner.query("CREATE TABLE \"secret_versions\" (\"secret_id\" character varying(40) NOT NULL, \"version\" integer NOT NULL, \"state\" character varying(12) NOT NULL, \"store_version\" integer NOT NULL, \"key_id\" character varying(40), \"fingerprint\" character varying(64) NOT NULL, \"fingerprint_key_id\" character varying(40) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_by\" character varying(256) NOT NULL, \"destroyed_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_f62f652684671e3a325bf0778b6\" PRIMARY KEY (\"secret_id\", \"version\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"secret_versions_one_pending\" ON \"secret_versions\"  (\"secret_id\") WHERE state = 'pending'");
    await queryRunner.query("CREATE UNIQUE INDEX \"secret_versions_one_current\" ON \"secret_versions\"  (\"secret_id\") WHERE state = 'current'");
    await queryRunner.query("CREATE TABLE \"secrets\" (\"id\" character varying(40) NOT NULL, \"name\" character varying(128) NOT NULL, \"secret_type\" character varying(32) NOT NULL, \"description\" text, \"tags\" jsonb NOT NULL DEFAULT '{}', \"store\" character varying(8) NOT NULL, \"encrypt_locally\" boolean NOT NULL, \"current_version\" integer NOT NULL, \"current_store_version\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_by\" character varying(256) NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE, \"last_rotated_at\" TIMESTAMP WITH TIME ZONE, \"next_rotation_at\" TIMESTAMP WITH TIME ZONE, \"rotation_interval_days\" integer, \"rotation_status\" character varying(16) NOT NULL DEFAULT 'none', \"rotator\" jsonb, \"deleted_at\" TIMESTAMP WITH TIME ZONE, \"deleted_by\" character varying(256), \"purge_after\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_d4ff48ddba1883d4dc142b9c697\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"secrets_next_rotation_idx\" ON \"secrets\"  (\"next_rotation_at\") WHERE deleted_at IS NULL");
    await queryRunner.query("CREATE INDEX \"secrets_page_idx\" ON \"secrets\"  (\"created_at\", \"id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"secrets_live_name_key\" ON \"secrets\"  (\"name\") WHERE deleted_at IS NULL");
    await queryRunner.query("CREATE TABLE \"local_secret_payloads\" (\"secret_id\" character varying(40) NOT NULL, \"store_version\" integer NOT NULL, \"payload\" text, CONSTRAINT \"PK_95c34171f4a142a08d1957f44d5\" PRIMARY KEY (\"secret_id\", \"store_version\"))");
    await queryRunner.query("CREATE TABLE \"secret_rotations\" (\"id\" character varying(40) NOT NULL, \"secret_id\" character varying(40) NOT NULL, \"status\" character varying(12) NOT NULL, \"trigger\" character varying(12) NOT NULL, \"triggered_by\" character varying(256) NOT NULL, \"rotator\" character varying(24) NOT NULL, \"emergency\" boolean NOT NULL DEFAULT false, \"reason\" character varying(500), \"attempts\" integer NOT NULL DEFAULT '0', \"last_error\" character varying(1000), \"from_version\" integer, \"to_version\" integer, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_2732368cd2610fab142a783169f\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"secret_rotations_finished_idx\" ON \"secret_rotations\"  (\"finished_at\") ");
    await queryRunner.query("CREATE INDEX \"secret_rotations_secret_idx\" ON \"secret_rotations\"  (\"secret_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"secret_rotations_one_active\" ON \"secret_rotations\"  (\"secret_id\") WHERE status IN ('pending', 'in_progress')");
    await queryRunner.query("CREATE TABLE \"task_items\" (\"task_id\" character varying(40) NOT NULL, \"seq\" integer NOT NULL, \"target\" character varying(64) NOT NULL, \"status\" character varying(8) NOT NULL DEFAULT 'pending', \"attempts\" integer NOT NULL DEFAULT '0', \"lease_until\" TIMESTAMP WITH TIME ZONE, \"error\" text, \"ref\" character varying(40), \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_eb46ba7a954dabd252fc6ed9f76\" PRIMARY KEY (\"task_id\", \"seq\"))");
    await queryRunner.query("CREATE INDEX \"task_items_claim_idx\" ON \"task_items\"  (\"status\", \"lease_until\") WHERE status = 'pending'");
    await queryRunner.query("CREATE TABLE \"tasks\" (\"id\" character varying(40) NOT NULL, \"kind\" character varying(32) NOT NULL, \"status\" character varying(12) NOT NULL, \"params\" jsonb NOT NULL DEFAULT '{}', \"total\" integer NOT NULL, \"done\" integer NOT NULL DEFAULT '0', \"failed\" integer NOT NULL DEFAULT '0', \"created_by\" character varying(256) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"result\" jsonb, CONSTRAINT \"PK_8d12ff38fcc62aaba2cab748772\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"tasks_status_idx\" ON \"tasks\"  (\"status\", \"created_at\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"tasks_status_idx\"");
    await queryRunner.query("DROP TABLE \"tasks\"");
    await queryRunner.query("DROP INDEX \"public\".\"task_items_claim_idx\"");
    await queryRunner.query("DROP TABLE \"task_items\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_one_active\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_secret_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_finished_idx\"");
    await queryRunner.query("DROP TABLE \"secret_rotations\"");
    await queryRunner.query("DROP TABLE \"local_secret_payloads\"");
    await queryRunner.query("DROP INDEX \"public\".\"secrets_live_name_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"secrets_page_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"secrets_next_rotation_idx\"");
    await queryRunner.query("DROP TABLE \"secrets\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_versions_one_current\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_versions_one_pending\"");
    await queryRunner.query("DROP TABLE \"secret_versions\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_events_time_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_events_secret_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_events_actor_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_events_action_idx\"");
    await queryRunner.query("DROP TABLE \"audit_events\"");
    await queryRunner.query("DROP TABLE \"audit_checkpoints\"");
  }
}
