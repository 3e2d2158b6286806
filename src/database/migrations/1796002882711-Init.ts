import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1796002882711 implements MigrationInterface {
  name = 'Init1796002882711';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"alert_deliveries\" (\"id\" BIGSERIAL NOT NULL, \"alert_id\" character varying(40) NOT NULL, \"target\" character varying(2048) NOT NULL, \"status\" character varying(10) NOT NULL, \"attempts\" integer NOT NULL DEFAULT '0', \"last_status\" integer, \"last_error\" character varying(500), \"next_attempt_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"delivered_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_b3d51c95891264fb62df41582ad\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"alert_deliveries_alert_idx\" ON \"alert_deliveries\"  (\"alert_id\") ");
    await queryRunner.query("CREATE INDEX \"alert_deliveries_due_idx\" ON \"alert_deliveries\"  (\"status\", \"next_attempt_at\") WHERE status = 'pending'");
    await queryRunner.query("CREATE TABLE \"alerts\" (\"id\" character varying(40) NOT NULL, \"kind\" character varying(32) NOT NULL, \"severity\" character varying(10) NOT NULL, \"summary\" character varying(500) NOT NULL, \"details\" jsonb NOT NULL DEFAULT '{}', \"occurred_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"dedupe_key\" character varying(200), CONSTRAINT \"PK_60f895662df096bfcdfab7f4b96\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"alerts_occurred_idx\" ON \"alerts\"  (\"occurred_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"alerts_dedupe_key\" ON \"alerts\"  (\"dedupe_key\") WHERE dedupe_key IS NOT NULL");
    await queryRunner.query("CREATE TABLE \"security_findings\" (\"id\" character varying(40) NOT NULL, \"kind\" character varying(32) NOT NULL, \"severity\" character varying(10) NOT NULL, \"summary\" character varying(500) NOT NULL, \"actor\" character varying(256), \"client_ip\" character varying(64), \"secret_id\" character varying(40), \"details\" jsonb NOT NULL DEFAULT '{}', \"detected_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"status\" character varying(10) NOT NULL DEFAULT 'open', \"dedupe_key\" character varying(200) NOT NULL, CONSTRAINT \"PK_58811a4c1368b2cd6127a55d6f4\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"security_findings_detected_idx\" ON \"security_findings\"  (\"detected_at\") ");
    await queryRunner.query("CREATE INDEX \"security_findings_open_idx\" ON \"security_findings\"  (\"status\", \"kind\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"security_findings_dedupe_key\" ON \"security_findings\"  (\"dedupe_key\") ");
    await queryRunner.query("CREATE TABLE \"integrity_checks\" (\"id\" character varying(40) NOT NULL, \"task_id\" character varying(40) NOT NULL, \"status\" character varying(12) NOT NULL, \"triggered_by\" character varying(256) NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"secrets_checked\" integer NOT NULL DEFAULT '0', \"versions_checked\" integer NOT NULL DEFAULT '0', \"failures\" integer NOT NULL DEFAULT '0', CONSTRAINT \"PK_54304bed5703997dfcd1d5c5d27\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"integrity_checks_started_idx\" ON \"integrity_checks\"  (\"started_at\") ");
    await queryRunner.query("CREATE TABLE \"integrity_failures\" (\"id\" BIGSERIAL NOT NULL, \"check_id\" character varying(40) NOT NULL, \"secret_id\" character varying(40) NOT NULL, \"secret_name\" character varying(128), \"version\" integer, \"problem\" character varying(32) NOT NULL, \"detail\" character varying(500) NOT NULL, CONSTRAINT \"PK_416579cc79a01aa3cee57f6e9c3\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"integrity_failures_check_idx\" ON \"integrity_failures\"  (\"check_id\") ");
    await queryRunner.query("CREATE TABLE \"reports\" (\"id\" character varying(40) NOT NULL, \"kind\" character varying(16) NOT NULL, \"standard\" character varying(16), \"period_from\" TIMESTAMP WITH TIME ZONE NOT NULL, \"period_to\" TIMESTAMP WITH TIME ZONE NOT NULL, \"generated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"generated_by\" character varying(256) NOT NULL, \"sha256\" character(64) NOT NULL, \"signature\" text NOT NULL, \"key_id\" character varying(40) NOT NULL, \"document\" jsonb NOT NULL, CONSTRAINT \"PK_d9013193989303580053c0b5ef6\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"reports_kind_generated_idx\" ON \"reports\"  (\"kind\", \"generated_at\") ");
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
    await queryRunner.query("CREATE TABLE \"job_runs\" (\"id\" BIGSERIAL NOT NULL, \"job_name\" character varying(48) NOT NULL, \"slot\" TIMESTAMP WITH TIME ZONE NOT NULL, \"trigger\" character varying(10) NOT NULL, \"triggered_by\" character varying(256) NOT NULL, \"status\" character varying(10) NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"counts\" jsonb NOT NULL DEFAULT '{}', \"error\" character varying(1000), CONSTRAINT \"PK_4d0012c04fcfc287550b76be7e9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"job_runs_started_idx\" ON \"job_runs\"  (\"started_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"job_runs_slot_key\" ON \"job_runs\"  (\"job_name\", \"slot\") ");
    await queryRunner.query("CREATE TABLE \"local_secret_payloads\" (\"secret_id\" character varying(40) NOT NULL, \"store_version\" integer NOT NULL, \"payload\" text, CONSTRAINT \"PK_95c34171f4a142a08d1957f44d5\" PRIMARY KEY (\"secret_id\", \"store_version\"))");
    await queryRunner.query("CREATE TABLE \"secret_rotations\" (\"id\" character varying(40) NOT NULL, \"secret_id\" character varying(40) NOT NULL, \"status\" character varying(12) NOT NULL, \"trigger\" character varying(12) NOT NULL, \"triggered_by\" character varying(256) NOT NULL, \"rotator\" character varying(24) NOT NULL, \"emergency\" boolean NOT NULL DEFAULT false, \"reason\" character varying(500), \"attempts\" integer NOT NULL DEFAULT '0', \"last_error\" character varying(1000), \"from_version\" integer, \"to_version\" integer, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_2732368cd2610fab142a783169f\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"secret_rotations_finished_idx\" ON \"secret_rotations\"  (\"finished_at\") ");
    await queryRunner.query("CREATE INDEX \"secret_rotations_secret_idx\" ON \"secret_rotations\"  (\"secret_id\", \"created_at\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"secret_rotations_one_active\" ON \"secret_rotations\"  (\"secret_id\") WHERE status IN ('pending', 'in_progress')");
    await queryRunner.query("CREATE TABLE \"task_items\" (\"task_id\" character varying(40) NOT NULL, \"seq\" integer NOT NULL, \"target\" character varying(64) NOT NULL, \"status\" character varying(8) NOT NULL DEFAULT 'pending', \"attempts\" integer NOT NULL DEFAULT '0', \"lease_until\" TIMESTAMP WITH TIME ZONE, \"error\" text, \"ref\" character varying(40), \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_eb46ba7a954dabd252fc6ed9f76\" PRIMARY KEY (\"task_id\", \"seq\"))");
    await queryRunner.query("CREATE INDEX \"task_items_pending_target_idx\" ON \"task_items\"  (\"target\") WHERE status = 'pending'");
    await queryRunner.query("CREATE INDEX \"task_items_pending_idx\" ON \"task_items\"  (\"task_id\", \"seq\") WHERE status = 'pending'");
    await queryRunner.query("CREATE TABLE \"tasks\" (\"id\" character varying(40) NOT NULL, \"kind\" character varying(32) NOT NULL, \"status\" character varying(12) NOT NULL, \"params\" jsonb NOT NULL DEFAULT '{}', \"total\" integer NOT NULL, \"done\" integer NOT NULL DEFAULT '0', \"failed\" integer NOT NULL DEFAULT '0', \"created_by\" character varying(256) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"result\" jsonb, CONSTRAINT \"PK_8d12ff38fcc62aaba2cab748772\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"tasks_status_idx\" ON \"tasks\"  (\"status\", \"created_at\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"tasks_status_idx\"");
    await queryRunner.query("DROP TABLE \"tasks\"");
    await queryRunner.query("DROP INDEX \"public\".\"task_items_pending_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"task_items_pending_target_idx\"");
    await queryRunner.query("DROP TABLE \"task_items\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_one_active\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_secret_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"secret_rotations_finished_idx\"");
    await queryRunner.query("DROP TABLE \"secret_rotations\"");
    await queryRunner.query("DROP TABLE \"local_secret_payloads\"");
    await queryRunner.query("DROP INDEX \"public\".\"job_runs_slot_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"job_runs_started_idx\"");
    await queryRunner.query("DROP TABLE \"job_runs\"");
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
    await queryRunner.query("DROP INDEX \"public\".\"reports_kind_generated_idx\"");
    await queryRunner.query("DROP TABLE \"reports\"");
    await queryRunner.query("DROP INDEX \"public\".\"integrity_failures_check_idx\"");
    await queryRunner.query("DROP TABLE \"integrity_failures\"");
    await queryRunner.query("DROP INDEX \"public\".\"integrity_checks_started_idx\"");
    await queryRunner.query("DROP TABLE \"integrity_checks\"");
    await queryRunner.query("DROP INDEX \"public\".\"security_findings_dedupe_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"security_findings_open_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"security_findings_detected_idx\"");
    await queryRunner.query("DROP TABLE \"security_findings\"");
    await queryRunner.query("DROP INDEX \"public\".\"alerts_dedupe_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"alerts_occurred_idx\"");
    await queryRunner.query("DROP TABLE \"alerts\"");
    await queryRunner.query("DROP INDEX \"public\".\"alert_deliveries_due_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"alert_deliveries_alert_idx\"");
    await queryRunner.query("DROP TABLE \"alert_deliveries\"");
  }
}
