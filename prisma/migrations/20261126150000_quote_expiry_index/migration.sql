-- The engine's sweeper expires due quotes (there is no timer job per quote).
CREATE INDEX "quotes_state_valid_until_idx" ON "quotes"("state", "valid_until");
