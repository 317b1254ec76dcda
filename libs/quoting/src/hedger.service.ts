import { Inject, Injectable, Logger } from '@nestjs/common';
import { Decimal } from '@app/core';
import { PG_POOL, runInTransaction } from '@app/db';
import { MarketDataService } from '@app/market-data';
import { InstrumentRepository } from '@app/rfq';
import { type BookedHedge, BookingRepository, HedgeBookingRepository } from '@app/settlement';
import type { Pool } from 'pg';
import { planHedge, type HedgePlan } from './hedge-plan.js';
import { InventoryService } from './inventory.service.js';
import { riskAt } from './market-view.js';
import { aggregateRisk } from './risk-measures.js';
import { StrategyRepository } from './strategy.repository.js';
import { riskAversionPerUsd } from './strategy-pricing.js';

export interface HedgeOutcome {
  /** Hedges booked by this call (none when inside the band, not hedging, or already booked). */
  booked: Array<BookedHedge & { underlying: string; plan: HedgePlan }>;
  /** Underlyings skipped for stale market data: the job is tried again later. */
  waitingFor: string[];
  /** Underlyings whose hedge for this event already existed. */
  duplicates: string[];
}

/** The trigger id of a hedge: the fill event, qualified by underlying when the fill spans several. */
export function hedgeTriggerId(eventId: string, underlying: string, underlyings: readonly string[]): string {
  return underlyings.length === 1 ? eventId : `${eventId}:${underlying}`;
}

/**
 * Automated delta hedging of the built-in makers after each of their fills: per underlying of the fill,
 * the book's spot delta (options, futures and perpetuals) against a Whalley–Wilmott band; outside it, the
 * maker trades the `<U>-PERPETUAL` with the hedge venue back to the band's edge at a price walked through a
 * stylised book (hedge-plan.ts). Decision and booking happen in one transaction under a per-maker,
 * per-underlying advisory lock, and the hedge order's unique trigger id makes a re-delivered job a no-op.
 */
@Injectable()
export class HedgerService {
  private readonly logger = new Logger(HedgerService.name);

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly strategies: StrategyRepository,
    private readonly hedges: HedgeBookingRepository,
    private readonly bookings: BookingRepository,
    private readonly instruments: InstrumentRepository,
    private readonly market: MarketDataService,
    private readonly inventory: InventoryService,
  ) {}

  async onFill(
    eventId: string,
    payload: Record<string, unknown>,
    correlationId: string | null,
  ): Promise<HedgeOutcome> {
    const outcome: HedgeOutcome = { booked: [], waitingFor: [], duplicates: [] };
    const makerId = payload.makerId;
    if (typeof makerId !== 'string') return outcome;
    const strategy = await this.strategies.find(makerId);
    // A built-in maker has no socket: its worker receiving the fill is its confirmation (else the
    // re-driver would re-publish the fill until it gives up).
    if (strategy?.enabled && typeof payload.id === 'string')
      await this.bookings.markConfirmationsDelivered(this.pool, payload.id, [makerId]);
    // Only built-in makers (an enabled strategy) are hedged, and only when they ask for it.
    if (!strategy?.enabled || !strategy.hedgeEnabled) return outcome;
    const underlyings = Array.isArray(payload.underlyings)
      ? [...new Set(payload.underlyings.filter((u): u is string => typeof u === 'string'))].sort()
      : [];
    for (const underlying of underlyings) {
      if (!this.market.isFresh(underlying)) {
        outcome.waitingFor.push(underlying);
        continue;
      }
      const perp = await this.instruments.findByName(`${underlying}-PERPETUAL`);
      if (!perp) continue;
      const triggerEventId = hedgeTriggerId(eventId, underlying, underlyings);
      const result = await runInTransaction(this.pool, async (client) => {
        await this.hedges.lockHedger(client, makerId, underlying);
        if (await this.hedges.hedgeExists(client, triggerEventId)) return 'duplicate' as const;
        const now = new Date();
        const snapshot = this.market.fresh(underlying, now.getTime());
        const holdings = [];
        for (const p of await this.hedges.positionsOf(client, makerId, underlying)) {
          const instrument = await this.instruments.findById(p.instrumentId);
          if (instrument)
            holdings.push({ quantity: p.quantity.toNumber(), risk: riskAt(snapshot, instrument, now) });
        }
        const book = aggregateRisk(holdings, { [underlying]: snapshot.spot }).byUnderlying[underlying];
        const plan = planHedge({
          delta: book?.delta ?? 0,
          gamma: book?.gamma ?? 0,
          spot: snapshot.spot,
          costRate: strategy.hedgeCostBps.toNumber() / 1e4,
          riskAversion: riskAversionPerUsd(strategy.gamma.toNumber(), snapshot.spot),
          perp: { tickSize: perp.tickSize, lotSize: perp.lotSize, multiplier: perp.multiplier },
        });
        if (!plan) return null;
        const booked = await this.hedges.bookHedge(client, {
          makerId,
          instrument: { id: perp.id, name: perp.name, underlying, multiplier: perp.multiplier },
          side: plan.side,
          quantity: plan.quantity,
          price: plan.price,
          referencePrice: plan.referencePrice,
          slippageCost: plan.slippageCost,
          deltaBefore: new Decimal(plan.deltaBefore),
          bandWidth: new Decimal(plan.band.halfWidth),
          triggerEventId,
          correlationId,
          now,
        });
        return booked ? { ...booked, underlying, plan } : ('duplicate' as const);
      });
      if (result === 'duplicate') outcome.duplicates.push(underlying);
      else if (result) {
        outcome.booked.push(result);
        this.inventory.invalidate(makerId);
        this.logger.log(
          `hedged ${makerId} ${underlying}: ${result.plan.side} ${result.plan.quantity.toFixed()} @ ${result.plan.price.toFixed()} (delta ${result.plan.deltaBefore.toFixed(3)}, band ±${result.plan.band.halfWidth.toFixed(3)})`,
        );
      }
    }
    return outcome;
  }
}
