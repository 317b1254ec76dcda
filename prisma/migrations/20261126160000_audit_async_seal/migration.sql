-- The audit chain is sealed after commit instead of inside every audited transaction: appends no
-- longer serialise on one lock. A row is inserted with no hash, and the sealer (engine) chains the
-- committed rows in the order it sees them (chain_seq) and sets prev_hash and hash exactly once.
-- The offline migration runner splits scripts at every semicolon, even inside quotes, so the
-- function body writes its semicolons as the escape \073.
ALTER TABLE "audit_log" ALTER COLUMN "prev_hash" DROP NOT NULL,
  ALTER COLUMN "hash" DROP NOT NULL,
  ADD COLUMN "chain_seq" BIGINT;

DROP TRIGGER audit_log_no_update_delete ON audit_log;

UPDATE "audit_log" SET "chain_seq" = "seq";

CREATE UNIQUE INDEX "audit_log_chain_seq_key" ON "audit_log"("chain_seq");

CREATE INDEX "audit_log_unsealed_idx" ON "audit_log"("seq") WHERE "hash" IS NULL;

-- Still append-only. The one UPDATE allowed is sealing an unsealed row, leaving its content as is.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS
E'BEGIN IF TG_OP = ''UPDATE'' AND OLD.hash IS NULL AND OLD.chain_seq IS NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.chain_seq IS NOT NULL AND (NEW.seq, NEW.occurred_at, NEW.actor_id, NEW.action, NEW.entity_type, NEW.entity_id, NEW.before, NEW.after, NEW.correlation_id) IS NOT DISTINCT FROM (OLD.seq, OLD.occurred_at, OLD.actor_id, OLD.action, OLD.entity_type, OLD.entity_id, OLD.before, OLD.after, OLD.correlation_id) THEN RETURN NEW\073 END IF\073 RAISE EXCEPTION ''audit_log is append-only: % refused'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END';

CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
