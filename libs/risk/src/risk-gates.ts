import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { Decimal, DomainError, MARK_SOURCE, ZERO, dec } from '@app/core';
import type { MarkSource } from '@app/core';
import { PG_POOL } from '@app/db';
import { InstrumentRepository, QuoteService, RfqService, RfqView } from '@app/rfq';
import { NewFill, SettlementService } from '@app/settlement';
import type { Pool, PoolClient } from 'pg';
import { ControlsService } from './controls.service.js';

/**
 * Registers the pre-trade checks with the RFQ, quote and settlement services: kill switches on
 * every RFQ and quote (cached) and fill (read in the booking transaction), and the takers' credit
 * limits inside the booking transaction.
 */
@Injectable()
export class RiskGates implements OnModuleInit {
  constructor(
    private readonly controls: ControlsService,
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly settlement: SettlementService,
    private readonly instruments: InstrumentRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  onModuleInit(): void {
    this.rfqs.addGate({
      assertMayRequest: (takerId, underlyings) =>
        this.controls.assertNotFrozenCached(this.pool, [takerId], underlyings),
    });
    this.quotes.addGate({
      assertMayQuote: async (client, makerId, rfq) =>
        this.controls.assertNotFrozenCached(client, [makerId], await this.underlyings(rfq)),
    });
    this.settlement.addGate({
      assertMayFill: async (client, fills, { rfq, legs }) => {
        const underlyings = [...new Set(legs.map((l) => l.instrument.underlying))];
        await this.controls.assertNotFrozen(
          client,
          [rfq.takerId, ...fills.map((f) => f.makerId)],
          underlyings,
        );
        await this.assertCredit(client, rfq.takerId, fills);
      },
    });
  }

  private async underlyings(rfq: RfqView): Promise<string[]> {
    const list = await Promise.all(
      rfq.legs.map(async (l) => (await this.instruments.findById(l.instrumentId))?.underlying ?? ''),
    );
    return [...new Set(list.filter(Boolean))];
  }

  /**
   * Credit limits of the taker: premium paid (its USDC outflow, fees included) and gross notional
   * (Σ |position| × multiplier × index price, strike or trade price when the index is unknown).
   */
  private async assertCredit(client: PoolClient, takerId: string, fills: NewFill[]): Promise<void> {
    const { rows } = await client.query<{
      credit_limit_premium: string | null;
      credit_limit_notional: string | null;
    }>('SELECT credit_limit_premium, credit_limit_notional FROM accounts WHERE id = $1', [takerId]);
    const limits = rows[0];
    if (!limits || (limits.credit_limit_premium === null && limits.credit_limit_notional === null)) return;
    if (limits.credit_limit_premium !== null) {
      const balance = dec(
        (
          await client.query<{ amount: string }>(
            `SELECT amount FROM balances WHERE account_id = $1 AND asset_code = 'USDC'`,
            [takerId],
          )
        ).rows[0]?.amount ?? '0',
      );
      const outflow = fills.reduce((sum, f) => sum.plus(f.premium).plus(f.takerFee), ZERO);
      const paidAfter = balance.minus(outflow).neg();
      const limit = dec(limits.credit_limit_premium);
      if (paidAfter.gt(limit)) {
        throw new DomainError(
          'RISK.CREDIT_LIMIT_PREMIUM',
          `premium paid would reach ${paidAfter.toFixed(2)} USDC, above the credit limit ${limit.toFixed()}`,
          'unprocessable',
          [
            {
              message: 'credit limit on premium paid',
              limit: 'creditLimitPremium',
              value: paidAfter.toFixed(8),
              max: limit.toFixed(),
            },
          ],
        );
      }
    }
    if (limits.credit_limit_notional !== null) {
      const positions = new Map<string, Decimal>();
      const { rows: held } = await client.query<{ instrument_id: string; quantity: string }>(
        'SELECT instrument_id, quantity FROM positions WHERE account_id = $1',
        [takerId],
      );
      for (const p of held) positions.set(p.instrument_id, dec(p.quantity));
      const tradePrice = new Map<string, Decimal>();
      for (const f of fills) {
        for (const t of f.trades) {
          const signed = t.side === 'BUY' ? t.quantity : t.quantity.neg();
          positions.set(t.instrumentId, (positions.get(t.instrumentId) ?? ZERO).plus(signed));
          tradePrice.set(t.instrumentId, t.price);
        }
      }
      let gross = ZERO;
      for (const [instrumentId, qty] of positions) {
        if (qty.isZero()) continue;
        const i = await this.instruments.findById(instrumentId);
        if (!i) continue;
        const index = this.marks?.markOf({
          name: `${i.underlying}-PERPETUAL`,
          underlying: i.underlying,
        })?.price;
        const reference =
          index !== undefined ? dec(index) : (i.strike ?? tradePrice.get(instrumentId) ?? ZERO);
        gross = gross.plus(qty.abs().mul(i.multiplier).mul(reference));
      }
      const limit = dec(limits.credit_limit_notional);
      if (gross.gt(limit)) {
        throw new DomainError(
          'RISK.CREDIT_LIMIT_NOTIONAL',
          `gross notional would reach ${gross.toFixed(2)} USDC, above the credit limit ${limit.toFixed()}`,
          'unprocessable',
          [
            {
              message: 'credit limit on gross notional',
              limit: 'creditLimitNotional',
              value: gross.toFixed(8),
              max: limit.toFixed(),
            },
          ],
        );
      }
    }
  }
}
