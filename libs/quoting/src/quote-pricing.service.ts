import { Injectable } from '@nestjs/common';
import { Decimal } from '@app/core';
import { MarketDataService } from '@app/market-data';
import { type InstrumentInfo, type Side, structureLotSize, structureTick } from '@app/rfq';
import { InventoryService } from './inventory.service.js';
import { riskAt } from './market-view.js';
import { QuotingRepository } from './quoting.repository.js';
import type { RiskLimitSet } from './risk-measures.js';
import type { MakerStrategySettings } from './strategy.repository.js';
import { quoteStructure, type StrategyLeg, type StructureQuote } from './strategy-pricing.js';

export interface PricingLeg {
  instrument: InstrumentInfo;
  side: Side;
  ratio: Decimal;
}

export type PricingOutcome =
  | {
      kind: 'quote';
      quote: StructureQuote;
      /** Inventory version the quote was priced at (InventoryService.version). */
      inventoryVersion: number;
      tick: Decimal;
      lot: Decimal;
    }
  | { kind: 'stale'; underlyings: string[] }
  | { kind: 'skip'; reason: string };

/** Limits change rarely and only by an admin: a second of staleness is harmless, a query per quote is not. */
const LIMITS_TTL_MS = 1_000;

/**
 * The strategy's inputs gathered for one maker and one structure: fresh marks and Greeks of the legs,
 * the maker's inventory on the structure's underlyings and its hard limits; then `quoteStructure`.
 */
@Injectable()
export class QuotePricingService {
  private readonly limits = new Map<string, { at: number; value: Promise<Record<string, RiskLimitSet>> }>();

  constructor(
    private readonly market: MarketDataService,
    private readonly inventory: InventoryService,
    private readonly repo: QuotingRepository,
  ) {}

  limitsOf(makerId: string): Promise<Record<string, RiskLimitSet>> {
    const cached = this.limits.get(makerId);
    if (cached && Date.now() - cached.at < LIMITS_TTL_MS) return cached.value;
    const value = this.repo.riskLimits(this.repo.db, [makerId]).then((m) => m.get(makerId) ?? {});
    const entry = { at: Date.now(), value };
    this.limits.set(makerId, entry);
    value.catch(() => {
      if (this.limits.get(makerId) === entry) this.limits.delete(makerId);
    });
    return value;
  }

  /** Underlyings of the structure whose market data is not fresh (quoting stops for them). */
  staleUnderlyings(legs: readonly PricingLeg[], now = Date.now()): string[] {
    return [...new Set(legs.map((l) => l.instrument.underlying))].filter((u) => !this.market.isFresh(u, now));
  }

  async price(
    strategy: MakerStrategySettings,
    legs: readonly PricingLeg[],
    quantity: Decimal,
    now = new Date(),
  ): Promise<PricingOutcome> {
    const underlyings = [...new Set(legs.map((l) => l.instrument.underlying))].sort();
    const uncovered = underlyings.filter((u) => !strategy.underlyings.includes(u));
    if (uncovered.length > 0)
      return { kind: 'skip', reason: `strategy does not cover ${uncovered.join(', ')}` };
    const stale = this.staleUnderlyings(legs, now.getTime());
    if (stale.length > 0) return { kind: 'stale', underlyings: stale };

    const snapshots = new Map(underlyings.map((u) => [u, this.market.fresh(u, now.getTime())]));
    const strategyLegs: StrategyLeg[] = legs.map((l) => ({
      side: l.side,
      ratio: l.ratio.toNumber(),
      risk: riskAt(snapshots.get(l.instrument.underlying)!, l.instrument, now),
    }));
    const tick = structureTick(legs.map((l) => ({ ratio: l.ratio, tickSize: l.instrument.tickSize })));
    const lot = structureLotSize(legs.map((l) => ({ ratio: l.ratio, lotSize: l.instrument.lotSize })));
    const [inventory, limits] = await Promise.all([
      this.inventory.riskFor(strategy.makerId, underlyings, now),
      this.limitsOf(strategy.makerId),
    ]);
    try {
      const quote = quoteStructure({
        legs: strategyLegs,
        quantity,
        tick,
        lot,
        markets: [...snapshots.values()].map((s) => ({
          underlying: s.underlying,
          spot: s.spot,
          atmVol: s.atmVol,
        })),
        inventory,
        params: {
          gamma: strategy.gamma.toNumber(),
          k: strategy.k.toNumber(),
          horizonSeconds: strategy.horizonSeconds,
          baseSpreadTicks: strategy.baseSpreadTicks,
          maxSize: strategy.maxSize,
          volOfVol: strategy.volOfVol.toNumber(),
          spotVolCorrelation: strategy.spotVolCorrelation.toNumber(),
        },
        limits,
      });
      return { kind: 'quote', quote, inventoryVersion: inventory.version, tick, lot };
    } catch (error) {
      // Bad settings (e.g. correlations that are not PSD) or an unquotable structure: no quote, no retry.
      if (error instanceof RangeError) return { kind: 'skip', reason: error.message };
      throw error;
    }
  }
}
