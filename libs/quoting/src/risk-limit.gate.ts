import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError } from '@app/core';
import { MarketDataService, type MarketSnapshot } from '@app/market-data';
import { stressGrid } from '@app/pricing';
import { type InstrumentInfo, InstrumentRepository, type ResolvedLeg, type RfqView } from '@app/rfq';
import type { FillGate, NewFill } from '@app/settlement';
import type { PoolClient } from 'pg';
import { linearFallbackRisk, positionSpec, riskAt, stressMarketFor } from './market-view.js';
import { QuotingRepository } from './quoting.repository.js';
import {
  aggregateRisk,
  breaches,
  describeBreach,
  exposureBreaches,
  type LimitBreach,
  type RiskLimitSet,
  zeroExposure,
} from './risk-measures.js';

/** Advisory lock class (two-int form) serialising the limit check of one maker's fills. */
const RISK_LOCK_CLASS = 7_402_002;

type Book = Map<string, { instrument: InstrumentInfo; quantity: number }>;

/**
 * Hard risk limits at settlement, for every maker with risk_limits rows (built-in or not): inside the
 * booking transaction, before anything is written, the maker's post-fill delta, gamma, vega (per vol
 * point) and gross notional per underlying are recomputed from its positions plus the fill's trades, and
 * the fill is refused with RISK.LIMIT_BREACHED when one would breach (see `breaches`: a book already over a
 * limit may still trade back towards it). The stress limit compares the worst loss of the spot × vol grid.
 *
 * Stale market data: futures and perpetuals count delta = quantity × multiplier, options are skipped
 * (no Greeks without a market), so gamma, vega and stress are not checked; gross notional uses the last
 * index seen, and is skipped when there is none. The check is serialised per maker with an advisory lock
 * held to commit, so two concurrent fills cannot each pass against the same old book.
 */
@Injectable()
export class RiskLimitGate implements FillGate {
  constructor(
    private readonly repo: QuotingRepository,
    private readonly instruments: InstrumentRepository,
    @Optional() @Inject(MarketDataService) private readonly market: MarketDataService | null,
  ) {}

  async assertMayFill(client: PoolClient, fills: NewFill[], context: { rfq: RfqView; legs: ResolvedLeg[] }) {
    const makers = [...new Set(fills.map((f) => f.makerId))].sort();
    const limits = await this.repo.riskLimits(client, makers);
    const now = new Date();
    for (const makerId of makers) {
      const mine = limits.get(makerId);
      if (!mine) continue;
      const underlyings = [...new Set(context.legs.map((l) => l.instrument.underlying))]
        .filter((u) => mine[u] !== undefined)
        .sort();
      if (underlyings.length === 0) continue;
      // Sorted maker order: two executions across the same makers take these locks in one order.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RISK_LOCK_CLASS, makerId]);

      const before: Book = new Map();
      for (const p of await this.repo.positions(client, makerId, underlyings)) {
        const instrument = await this.instruments.findById(p.instrumentId);
        if (instrument && !p.quantity.isZero())
          before.set(instrument.id, { instrument, quantity: p.quantity.toNumber() });
      }
      const after: Book = new Map([...before].map(([id, h]) => [id, { ...h }]));
      for (const fill of fills.filter((f) => f.makerId === makerId)) {
        for (const t of fill.trades) {
          const instrument = context.legs[t.legIndex]!.instrument;
          if (!underlyings.includes(instrument.underlying)) continue;
          // Trades carry the taker's side: the maker gets the opposite.
          const q = t.quantity.toNumber() * (t.side === 'BUY' ? -1 : 1);
          const held = after.get(instrument.id) ?? { instrument, quantity: 0 };
          after.set(instrument.id, { instrument, quantity: held.quantity + q });
        }
      }

      const found = underlyings.flatMap((u) => this.check(u, mine[u]!, before, after, now));
      if (found.length > 0) {
        const [first] = found;
        throw new DomainError(
          'RISK.LIMIT_BREACHED',
          `fill would breach maker ${makerId}'s ${describeBreach(first!)}`,
          'unprocessable',
          found.map((b) => ({
            field: b.limit,
            message: describeBreach(b),
            makerId,
            underlying: b.underlying,
            limit: b.limit,
            value: b.value,
            before: b.before,
            max: b.max,
          })),
        );
      }
    }
  }

  private check(
    underlying: string,
    limits: RiskLimitSet,
    before: Book,
    after: Book,
    now: Date,
  ): LimitBreach[] {
    const snapshot = this.market?.latest(underlying);
    const fresh = snapshot !== undefined && (this.market?.isFresh(underlying, now.getTime()) ?? false);
    const measure = (book: Book) => {
      const holdings = [...book.values()]
        .filter((h) => h.instrument.underlying === underlying && h.quantity !== 0)
        .map((h) => ({
          quantity: h.quantity,
          risk: fresh ? riskAt(snapshot, h.instrument, now) : linearFallbackRisk(h.instrument, now),
        }));
      return (
        aggregateRisk(holdings, { [underlying]: snapshot?.spot ?? 0 }).byUnderlying[underlying] ??
        zeroExposure()
      );
    };
    const found = exposureBreaches(underlying, measure(before), measure(after), limits);
    if (fresh && limits.maxStressLoss !== null) {
      const lossBefore = worstLoss(before, underlying, snapshot, now);
      const lossAfter = worstLoss(after, underlying, snapshot, now);
      if (breaches(lossBefore, lossAfter, limits.maxStressLoss))
        found.push({
          underlying,
          limit: 'maxStressLoss',
          value: lossAfter,
          before: lossBefore,
          max: limits.maxStressLoss,
        });
    }
    return found;
  }
}

/** Worst loss (≥ 0) of the book's positions on one underlying over the default stress grid. */
function worstLoss(book: Book, underlying: string, snapshot: MarketSnapshot, now: Date): number {
  const specs = [...book.values()]
    .filter((h) => h.instrument.underlying === underlying && h.quantity !== 0)
    .map((h) => positionSpec(h.instrument, h.quantity, now));
  return Math.max(0, -stressGrid(specs, stressMarketFor([snapshot])).worst.pnl);
}
