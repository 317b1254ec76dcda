-- The audit log is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE on it.
-- Only the table owner can bypass this (ALTER TABLE ... DISABLE TRIGGER), which is exactly the
-- tampering the hash chain exposes (GET /v1/admin/audit/verify, npm run audit:verify).
-- The offline migration runner splits scripts at every semicolon, even inside quotes, so the
-- function body writes its one semicolon as the escape \073.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN RAISE EXCEPTION ''audit_log is append-only: % refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END';

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
