import { Inject, Injectable } from '@nestjs/common';
import { Decimal, dec } from '@app/core';
import { PG_POOL } from '@app/db';
import { type QuoteView, toQuote } from '@app/rfq';
import type { Pool, PoolClient } from 'pg';
import type { RiskLimitSet } from './risk-measures.js';

type Db = Pool | PoolClient;

export interface PositionRow {
  instrumentId: string;
  quantity: Decimal;
  costBasis: Decimal;
  realisedPnl: Decimal;
}

/** A built-in maker's live quote with what requoting needs of its RFQ. */
export interface LiveAutoQuote {
  quote: QuoteView;
  rfqQuantity: Decimal;
  rfqFilled: Decimal;
  rfqExpiresAt: Date;
}

/** Prefix of the client quote ids the built-in workers use: their quotes and no other are requoted. */
export const AUTO_QUOTE_PREFIX = 'auto:';

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/** Reads of the quoting engine: limits, positions and its own live quotes. */
@Injectable()
export class QuotingRepository {
  constructor(@Inject(PG_POOL) readonly db: Pool) {}

  /** risk_limits rows of the makers, by maker then underlying. */
  async riskLimits(db: Db, makerIds: string[]): Promise<Map<string, Record<string, RiskLimitSet>>> {
    const out = new Map<string, Record<string, RiskLimitSet>>();
    if (makerIds.length === 0) return out;
    const { rows } = await db.query<{
      maker_id: string;
      underlying: string;
      max_abs_delta: string | null;
      max_abs_gamma: string | null;
      max_abs_vega: string | null;
      max_gross_notional: string | null;
      max_stress_loss: string | null;
    }>(
      `SELECT maker_id, underlying, max_abs_delta, max_abs_gamma, max_abs_vega, max_gross_notional, max_stress_loss
         FROM risk_limits WHERE maker_id = ANY($1::uuid[])`,
      [makerIds],
    );
    for (const r of rows) {
      const limits = out.get(r.maker_id) ?? {};
      limits[r.underlying] = {
        maxAbsDelta: num(r.max_abs_delta),
        maxAbsGamma: num(r.max_abs_gamma),
        maxAbsVega: num(r.max_abs_vega),
        maxGrossNotional: num(r.max_gross_notional),
        maxStressLoss: num(r.max_stress_loss),
      };
      out.set(r.maker_id, limits);
    }
    return out;
  }

  /**
   * An account's positions (flat ones too when they carry realised P&L), optionally only on some
   * underlyings.
   */
  async positions(db: Db, accountId: string, underlyings?: string[]): Promise<PositionRow[]> {
    const params: unknown[] = [accountId];
    let sql = `SELECT p.instrument_id, p.quantity::text, p.cost_basis::text, p.realised_pnl::text
                 FROM positions p JOIN instruments i ON i.id = p.instrument_id
                WHERE p.account_id = $1 AND (p.quantity <> 0 OR p.realised_pnl <> 0 OR p.cost_basis <> 0)`;
    if (underlyings) sql += ` AND i.underlying = ANY($${params.push(underlyings)}::text[])`;
    const { rows } = await db.query<{
      instrument_id: string;
      quantity: string;
      cost_basis: string;
      realised_pnl: string;
    }>(`${sql} ORDER BY i.name`, params);
    return rows.map((r) => ({
      instrumentId: r.instrument_id,
      quantity: dec(r.quantity),
      costBasis: dec(r.cost_basis),
      realisedPnl: dec(r.realised_pnl),
    }));
  }

  /** Live, unexpired quotes the built-in workers placed for these makers, with their RFQ's fill state. */
  async liveAutoQuotes(db: Db, makerIds: string[]): Promise<LiveAutoQuote[]> {
    if (makerIds.length === 0) return [];
    const { rows } = await db.query<
      Parameters<typeof toQuote>[0] & { rfq_quantity: string; rfq_filled: string; rfq_expires_at: Date }
    >(
      `SELECT q.*, r.quantity::text AS rfq_quantity, r.filled_quantity::text AS rfq_filled, r.expires_at AS rfq_expires_at
         FROM quotes q JOIN rfqs r ON r.id = q.rfq_id
        WHERE q.maker_id = ANY($1::uuid[]) AND q.state = 'LIVE' AND q.valid_until > now()
          AND q.client_quote_id LIKE '${AUTO_QUOTE_PREFIX}%'
        ORDER BY q.created_at`,
      [makerIds],
    );
    return rows.map((r) => ({
      quote: toQuote(r),
      rfqQuantity: dec(r.rfq_quantity),
      rfqFilled: dec(r.rfq_filled),
      rfqExpiresAt: r.rfq_expires_at,
    }));
  }
}
