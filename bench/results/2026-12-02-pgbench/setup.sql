-- Run once on a database the service has migrated, before a_noidx.sql: a copy of audit_events
-- with three of its seven indexes (primary key, seq key, unsealed) and its insert trigger.
DROP TABLE IF EXISTS ae_noidx;
CREATE TABLE ae_noidx (LIKE audit_events INCLUDING DEFAULTS);
ALTER TABLE ae_noidx ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ON ae_noidx (seq);
CREATE INDEX ON ae_noidx (id) WHERE seq IS NULL;
CREATE TRIGGER t BEFORE INSERT ON ae_noidx FOR EACH ROW EXECUTE FUNCTION strongroom_audit_insert();
-- locate.sql and pk.sql name one secret id of that database: replace it with one of yours.
