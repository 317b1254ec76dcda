-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AccountRole" AS ENUM ('TAKER', 'MAKER', 'ADMIN', 'SYSTEM');

-- CreateEnum
CREATE TYPE "ApiKeyScope" AS ENUM ('READ', 'TRADE', 'ADMIN');

-- CreateEnum
CREATE TYPE "InstrumentKind" AS ENUM ('OPTION', 'FUTURE', 'PERPETUAL');

-- CreateEnum
CREATE TYPE "OptionType" AS ENUM ('CALL', 'PUT');

-- CreateEnum
CREATE TYPE "Side" AS ENUM ('BUY', 'SELL');

-- CreateEnum
CREATE TYPE "QuoteSide" AS ENUM ('BID', 'ASK');

-- CreateEnum
CREATE TYPE "RfqState" AS ENUM ('OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "QuoteState" AS ENUM ('LIVE', 'FILLED', 'CANCELLED', 'EXPIRED', 'REPLACED');

-- CreateEnum
CREATE TYPE "FillState" AS ENUM ('BOOKED', 'CONFIRMED');

-- CreateEnum
CREATE TYPE "AssetKind" AS ENUM ('CURRENCY', 'INSTRUMENT');

-- CreateEnum
CREATE TYPE "JournalKind" AS ENUM ('FILL', 'HEDGE', 'ADJUSTMENT');

-- CreateEnum
CREATE TYPE "OutboxState" AS ENUM ('PENDING', 'PUBLISHED');

-- CreateEnum
CREATE TYPE "IdempotencyState" AS ENUM ('IN_PROGRESS', 'COMPLETED');

-- CreateEnum
CREATE TYPE "ControlScope" AS ENUM ('PLATFORM', 'ACCOUNT', 'UNDERLYING');

-- CreateEnum
CREATE TYPE "ConfirmationState" AS ENUM ('PENDING', 'DELIVERED');

-- CreateTable
CREATE TABLE "accounts" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "AccountRole" NOT NULL,
    "maker_fee_bps" DECIMAL(12,4) NOT NULL DEFAULT 0,
    "taker_fee_bps" DECIMAL(12,4) NOT NULL DEFAULT 0,
    "fee_per_contract" DECIMAL(38,12) NOT NULL DEFAULT 0,
    "credit_limit_premium" DECIMAL(38,12),
    "credit_limit_notional" DECIMAL(38,12),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "account_id" UUID NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "secret_hash" TEXT NOT NULL,
    "secret_cipher" TEXT NOT NULL,
    "scopes" "ApiKeyScope"[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instruments" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "InstrumentKind" NOT NULL,
    "underlying" TEXT NOT NULL,
    "quote_currency" TEXT NOT NULL DEFAULT 'USDC',
    "expiry" TIMESTAMPTZ(3),
    "strike" DECIMAL(28,8),
    "option_type" "OptionType",
    "tick_size" DECIMAL(28,8) NOT NULL,
    "lot_size" DECIMAL(28,8) NOT NULL,
    "contract_multiplier" DECIMAL(28,8) NOT NULL DEFAULT 1,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instruments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "assets" (
    "code" TEXT NOT NULL,
    "kind" "AssetKind" NOT NULL,
    "instrument_id" UUID,
    "scale" INTEGER NOT NULL DEFAULT 12,

    CONSTRAINT "assets_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "rfqs" (
    "id" UUID NOT NULL,
    "taker_id" UUID NOT NULL,
    "client_rfq_id" TEXT NOT NULL,
    "quantity" DECIMAL(28,8) NOT NULL,
    "filled_quantity" DECIMAL(28,8) NOT NULL DEFAULT 0,
    "state" "RfqState" NOT NULL DEFAULT 'OPEN',
    "disclosed" BOOLEAN NOT NULL DEFAULT false,
    "routed_to_all" BOOLEAN NOT NULL DEFAULT true,
    "auto_side" "Side",
    "auto_limit_price" DECIMAL(28,8),
    "auto_execute_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),
    "correlation_id" TEXT,

    CONSTRAINT "rfqs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rfq_legs" (
    "rfq_id" UUID NOT NULL,
    "leg_index" INTEGER NOT NULL,
    "instrument_id" UUID NOT NULL,
    "side" "Side" NOT NULL,
    "ratio" DECIMAL(28,8) NOT NULL,

    CONSTRAINT "rfq_legs_pkey" PRIMARY KEY ("rfq_id","leg_index")
);

-- CreateTable
CREATE TABLE "rfq_makers" (
    "rfq_id" UUID NOT NULL,
    "maker_id" UUID NOT NULL,

    CONSTRAINT "rfq_makers_pkey" PRIMARY KEY ("rfq_id","maker_id")
);

-- CreateTable
CREATE TABLE "quotes" (
    "id" UUID NOT NULL,
    "rfq_id" UUID NOT NULL,
    "maker_id" UUID NOT NULL,
    "client_quote_id" TEXT NOT NULL,
    "bid_price" DECIMAL(28,8),
    "bid_quantity" DECIMAL(28,8),
    "bid_min_quantity" DECIMAL(28,8),
    "bid_filled" DECIMAL(28,8) NOT NULL DEFAULT 0,
    "ask_price" DECIMAL(28,8),
    "ask_quantity" DECIMAL(28,8),
    "ask_min_quantity" DECIMAL(28,8),
    "ask_filled" DECIMAL(28,8) NOT NULL DEFAULT 0,
    "state" "QuoteState" NOT NULL DEFAULT 'LIVE',
    "valid_until" TIMESTAMPTZ(3) NOT NULL,
    "replaces_id" UUID,
    "cancel_on_disconnect" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "quotes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fills" (
    "id" UUID NOT NULL,
    "rfq_id" UUID NOT NULL,
    "quote_id" UUID NOT NULL,
    "taker_id" UUID NOT NULL,
    "maker_id" UUID NOT NULL,
    "side" "Side" NOT NULL,
    "quantity" DECIMAL(28,8) NOT NULL,
    "price" DECIMAL(28,8) NOT NULL,
    "premium" DECIMAL(38,12) NOT NULL,
    "taker_fee" DECIMAL(38,12) NOT NULL,
    "maker_fee" DECIMAL(38,12) NOT NULL,
    "execution_id" UUID NOT NULL,
    "state" "FillState" NOT NULL DEFAULT 'BOOKED',
    "quote_state_at_booking" "QuoteState" NOT NULL,
    "quote_valid_until_at_booking" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "correlation_id" TEXT,

    CONSTRAINT "fills_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trades" (
    "fill_id" UUID NOT NULL,
    "leg_index" INTEGER NOT NULL,
    "instrument_id" UUID NOT NULL,
    "side" "Side" NOT NULL,
    "quantity" DECIMAL(28,8) NOT NULL,
    "price" DECIMAL(28,8) NOT NULL,

    CONSTRAINT "trades_pkey" PRIMARY KEY ("fill_id","leg_index")
);

-- CreateTable
CREATE TABLE "journal_entries" (
    "id" UUID NOT NULL,
    "kind" "JournalKind" NOT NULL,
    "fill_id" UUID,
    "hedge_id" UUID,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "journal_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "postings" (
    "id" BIGSERIAL NOT NULL,
    "journal_entry_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "asset_code" TEXT NOT NULL,
    "amount" DECIMAL(38,12) NOT NULL,

    CONSTRAINT "postings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "positions" (
    "account_id" UUID NOT NULL,
    "instrument_id" UUID NOT NULL,
    "quantity" DECIMAL(38,12) NOT NULL DEFAULT 0,
    "cost_basis" DECIMAL(38,12) NOT NULL DEFAULT 0,
    "realised_pnl" DECIMAL(38,12) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "positions_pkey" PRIMARY KEY ("account_id","instrument_id")
);

-- CreateTable
CREATE TABLE "balances" (
    "account_id" UUID NOT NULL,
    "asset_code" TEXT NOT NULL,
    "amount" DECIMAL(38,12) NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balances_pkey" PRIMARY KEY ("account_id","asset_code")
);

-- CreateTable
CREATE TABLE "trade_confirmations" (
    "fill_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "state" "ConfirmationState" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "trade_confirmations_pkey" PRIMARY KEY ("fill_id","account_id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "seq" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "action" TEXT NOT NULL,
    "entity_type" TEXT NOT NULL,
    "entity_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "correlation_id" TEXT,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "outbox_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "aggregate_type" TEXT NOT NULL,
    "aggregate_id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "state" "OutboxState" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "correlation_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "account_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "state" "IdempotencyState" NOT NULL DEFAULT 'IN_PROGRESS',
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("account_id","key")
);

-- CreateTable
CREATE TABLE "maker_strategies" (
    "maker_id" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "gamma" DECIMAL(20,10) NOT NULL DEFAULT 0.1,
    "k" DECIMAL(20,10) NOT NULL DEFAULT 1.5,
    "horizon_seconds" INTEGER NOT NULL DEFAULT 3600,
    "base_spread_ticks" INTEGER NOT NULL DEFAULT 2,
    "max_size" DECIMAL(28,8) NOT NULL DEFAULT 100,
    "quote_validity_seconds" INTEGER NOT NULL DEFAULT 30,
    "underlyings" TEXT[] DEFAULT ARRAY['BTC', 'ETH']::TEXT[],
    "vol_of_vol" DECIMAL(20,10) NOT NULL DEFAULT 1.0,
    "spot_vol_correlation" DECIMAL(20,10) NOT NULL DEFAULT -0.5,
    "requote_threshold" DECIMAL(20,10) NOT NULL DEFAULT 0.001,
    "hedge_enabled" BOOLEAN NOT NULL DEFAULT true,
    "hedge_cost_bps" DECIMAL(12,4) NOT NULL DEFAULT 2,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "maker_strategies_pkey" PRIMARY KEY ("maker_id")
);

-- CreateTable
CREATE TABLE "risk_limits" (
    "maker_id" UUID NOT NULL,
    "underlying" TEXT NOT NULL,
    "max_abs_delta" DECIMAL(38,12),
    "max_abs_gamma" DECIMAL(38,12),
    "max_abs_vega" DECIMAL(38,12),
    "max_gross_notional" DECIMAL(38,12),
    "max_stress_loss" DECIMAL(38,12),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_limits_pkey" PRIMARY KEY ("maker_id","underlying")
);

-- CreateTable
CREATE TABLE "maker_protections" (
    "maker_id" UUID NOT NULL,
    "underlying" TEXT NOT NULL DEFAULT '*',
    "interval_seconds" INTEGER NOT NULL DEFAULT 10,
    "max_fills" INTEGER,
    "max_quantity" DECIMAL(28,8),
    "max_abs_delta" DECIMAL(38,12),
    "max_abs_vega" DECIMAL(38,12),
    "freeze_seconds" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "maker_protections_pkey" PRIMARY KEY ("maker_id","underlying")
);

-- CreateTable
CREATE TABLE "controls" (
    "scope" "ControlScope" NOT NULL,
    "target" TEXT NOT NULL,
    "frozen" BOOLEAN NOT NULL DEFAULT true,
    "reason" TEXT NOT NULL DEFAULT '',
    "until" TIMESTAMPTZ(3),
    "actor_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "controls_pkey" PRIMARY KEY ("scope","target")
);

-- CreateTable
CREATE TABLE "hedge_orders" (
    "id" UUID NOT NULL,
    "maker_id" UUID NOT NULL,
    "instrument_id" UUID NOT NULL,
    "side" "Side" NOT NULL,
    "quantity" DECIMAL(28,8) NOT NULL,
    "price" DECIMAL(28,8) NOT NULL,
    "reference_price" DECIMAL(28,8) NOT NULL,
    "slippage_cost" DECIMAL(38,12) NOT NULL,
    "delta_before" DECIMAL(38,12) NOT NULL,
    "band_width" DECIMAL(38,12) NOT NULL,
    "trigger_event_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "hedge_orders_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "accounts_name_key" ON "accounts"("name");

-- CreateIndex
CREATE INDEX "api_keys_account_id_idx" ON "api_keys"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "instruments_name_key" ON "instruments"("name");

-- CreateIndex
CREATE INDEX "instruments_underlying_kind_expiry_idx" ON "instruments"("underlying", "kind", "expiry");

-- CreateIndex
CREATE UNIQUE INDEX "assets_instrument_id_key" ON "assets"("instrument_id");

-- CreateIndex
CREATE INDEX "rfqs_state_expires_at_idx" ON "rfqs"("state", "expires_at");

-- CreateIndex
CREATE INDEX "rfqs_taker_id_created_at_idx" ON "rfqs"("taker_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "rfqs_taker_id_client_rfq_id_key" ON "rfqs"("taker_id", "client_rfq_id");

-- CreateIndex
CREATE INDEX "rfq_makers_maker_id_idx" ON "rfq_makers"("maker_id");

-- CreateIndex
CREATE UNIQUE INDEX "quotes_replaces_id_key" ON "quotes"("replaces_id");

-- CreateIndex
CREATE INDEX "quotes_rfq_id_state_idx" ON "quotes"("rfq_id", "state");

-- CreateIndex
CREATE INDEX "quotes_maker_id_state_idx" ON "quotes"("maker_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "quotes_maker_id_client_quote_id_key" ON "quotes"("maker_id", "client_quote_id");

-- CreateIndex
CREATE INDEX "fills_rfq_id_idx" ON "fills"("rfq_id");

-- CreateIndex
CREATE INDEX "fills_quote_id_idx" ON "fills"("quote_id");

-- CreateIndex
CREATE INDEX "fills_taker_id_created_at_idx" ON "fills"("taker_id", "created_at");

-- CreateIndex
CREATE INDEX "fills_maker_id_created_at_idx" ON "fills"("maker_id", "created_at");

-- CreateIndex
CREATE INDEX "fills_execution_id_idx" ON "fills"("execution_id");

-- CreateIndex
CREATE INDEX "trades_instrument_id_idx" ON "trades"("instrument_id");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entries_fill_id_key" ON "journal_entries"("fill_id");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entries_hedge_id_key" ON "journal_entries"("hedge_id");

-- CreateIndex
CREATE INDEX "postings_journal_entry_id_idx" ON "postings"("journal_entry_id");

-- CreateIndex
CREATE INDEX "postings_account_id_asset_code_idx" ON "postings"("account_id", "asset_code");

-- CreateIndex
CREATE INDEX "postings_asset_code_idx" ON "postings"("asset_code");

-- CreateIndex
CREATE INDEX "trade_confirmations_state_idx" ON "trade_confirmations"("state");

-- CreateIndex
CREATE UNIQUE INDEX "audit_log_hash_key" ON "audit_log"("hash");

-- CreateIndex
CREATE INDEX "audit_log_entity_type_entity_id_idx" ON "audit_log"("entity_type", "entity_id");

-- CreateIndex
CREATE INDEX "audit_log_actor_id_occurred_at_idx" ON "audit_log"("actor_id", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_events_seq_key" ON "outbox_events"("seq");

-- CreateIndex
CREATE INDEX "outbox_events_state_seq_idx" ON "outbox_events"("state", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "hedge_orders_trigger_event_id_key" ON "hedge_orders"("trigger_event_id");

-- CreateIndex
CREATE INDEX "hedge_orders_maker_id_created_at_idx" ON "hedge_orders"("maker_id", "created_at");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "assets" ADD CONSTRAINT "assets_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instruments"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rfqs" ADD CONSTRAINT "rfqs_taker_id_fkey" FOREIGN KEY ("taker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rfq_legs" ADD CONSTRAINT "rfq_legs_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfqs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rfq_legs" ADD CONSTRAINT "rfq_legs_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instruments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rfq_makers" ADD CONSTRAINT "rfq_makers_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfqs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rfq_makers" ADD CONSTRAINT "rfq_makers_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfqs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_replaces_id_fkey" FOREIGN KEY ("replaces_id") REFERENCES "quotes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfqs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_quote_id_fkey" FOREIGN KEY ("quote_id") REFERENCES "quotes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_taker_id_fkey" FOREIGN KEY ("taker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trades" ADD CONSTRAINT "trades_fill_id_fkey" FOREIGN KEY ("fill_id") REFERENCES "fills"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trades" ADD CONSTRAINT "trades_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instruments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_fill_id_fkey" FOREIGN KEY ("fill_id") REFERENCES "fills"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_hedge_id_fkey" FOREIGN KEY ("hedge_id") REFERENCES "hedge_orders"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "postings" ADD CONSTRAINT "postings_journal_entry_id_fkey" FOREIGN KEY ("journal_entry_id") REFERENCES "journal_entries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "postings" ADD CONSTRAINT "postings_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "postings" ADD CONSTRAINT "postings_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "positions" ADD CONSTRAINT "positions_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "positions" ADD CONSTRAINT "positions_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instruments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balances" ADD CONSTRAINT "balances_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balances" ADD CONSTRAINT "balances_asset_code_fkey" FOREIGN KEY ("asset_code") REFERENCES "assets"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trade_confirmations" ADD CONSTRAINT "trade_confirmations_fill_id_fkey" FOREIGN KEY ("fill_id") REFERENCES "fills"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trade_confirmations" ADD CONSTRAINT "trade_confirmations_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "maker_strategies" ADD CONSTRAINT "maker_strategies_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "risk_limits" ADD CONSTRAINT "risk_limits_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "maker_protections" ADD CONSTRAINT "maker_protections_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hedge_orders" ADD CONSTRAINT "hedge_orders_maker_id_fkey" FOREIGN KEY ("maker_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hedge_orders" ADD CONSTRAINT "hedge_orders_instrument_id_fkey" FOREIGN KEY ("instrument_id") REFERENCES "instruments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
