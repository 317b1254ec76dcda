import { Injectable, Logger } from '@nestjs/common';
import { Decimal, DomainError, dec } from '@app/core';
import {
  type Actor,
  InstrumentRepository,
  QuoteService,
  type QuoteView,
  RfqRepository,
  type Side,
} from '@app/rfq';
import { performance } from 'node:perf_hooks';
import { autoQuoteId } from './client-quote-id.js';
import { type PricingLeg, type PricingOutcome, QuotePricingService } from './quote-pricing.service.js';
import { QuotingMetrics } from './quoting-metrics.service.js';
import { type MakerStrategySettings, StrategyRepository } from './strategy.repository.js';
import type { StructureQuote } from './strategy-pricing.js';

/** The `rfq.created` event payload (rfqJson plus routing). */
export interface RfqCreatedPayload {
  id: string;
  takerId: string;
  legs: Array<{ instrument: string; side: Side; ratio: string }>;
  quantity: string;
  filledQuantity?: string;
  routedToAll: boolean;
  makers: string[] | null;
  expiresAt: string;
}

export interface BroadcastResult {
  /** Quotes placed (or found already placed) by built-in makers. */
  quotes: QuoteView[];
  /** Underlyings whose stale data kept some maker from quoting: the job is tried again later. */
  waitingFor: string[];
}

/** What a live quote was priced at: the requote loop compares against it. */
export interface QuoteBaseline {
  theo: number;
  inventoryVersion: number;
  /** When it was recorded (ms): a baseline younger than a requote pass is not pruned by it. */
  at: number;
}

/** Strategies are re-read at most this often (they change through the API, rarely). */
const STRATEGIES_TTL_MS = 1_000;

/** Rejections that just mean the RFQ moved on (filled, cancelled, expired): nothing to quote. */
const RFQ_GONE = new Set(['RFQ.NOT_OPEN', 'RFQ.EXPIRED', 'RFQ.NOT_FOUND']);

export function makerActor(makerId: string, correlationId: string | null = null): Actor {
  return { accountId: makerId, role: 'MAKER', correlationId };
}

/** The priced sides as QuoteService takes them (both or one; null when there is nothing to offer). */
export function quoteSides(quote: StructureQuote) {
  if (!quote.bid && !quote.ask) return null;
  return {
    bid: quote.bid ? { price: quote.bid.price, quantity: quote.bid.quantity, minQuantity: null } : null,
    ask: quote.ask ? { price: quote.ask.price, quantity: quote.ask.quantity, minQuantity: null } : null,
  };
}

/**
 * The built-in makers' answer to a new RFQ: each enabled strategy the RFQ is routed to and whose
 * underlyings cover it prices the structure (QuotePricingService) and quotes through QuoteService, like
 * any maker. Idempotent per (RFQ, maker) through the client quote id.
 */
@Injectable()
export class AutoQuoteService {
  private readonly logger = new Logger(AutoQuoteService.name);
  private strategies: { at: number; value: Promise<MakerStrategySettings[]> } | null = null;
  /** Baselines of the live quotes this process placed, by quote id (pruned by the requote loop). */
  readonly baselines = new Map<string, QuoteBaseline>();

  constructor(
    private readonly strategyRepo: StrategyRepository,
    private readonly pricing: QuotePricingService,
    private readonly quotes: QuoteService,
    private readonly rfqs: RfqRepository,
    private readonly instruments: InstrumentRepository,
    private readonly metrics: QuotingMetrics,
  ) {}

  /** Enabled strategies, cached for a second (the requote loop reads them several times a second). */
  enabledStrategies(): Promise<MakerStrategySettings[]> {
    if (this.strategies && Date.now() - this.strategies.at < STRATEGIES_TTL_MS) return this.strategies.value;
    const value = this.strategyRepo.enabled();
    const entry = { at: Date.now(), value };
    this.strategies = entry;
    value.catch(() => {
      if (this.strategies === entry) this.strategies = null;
    });
    return value;
  }

  /** Forget cached strategies (after a settings change in this process). */
  refreshStrategies(): void {
    this.strategies = null;
  }

  async resolveLegs(
    legs: Array<{ instrument: string; side: Side; ratio: string | Decimal }>,
  ): Promise<PricingLeg[] | null> {
    const out: PricingLeg[] = [];
    for (const l of legs) {
      const instrument = await this.instruments.findByName(l.instrument);
      if (!instrument) return null;
      out.push({ instrument, side: l.side, ratio: dec(l.ratio) });
    }
    return out;
  }

  /**
   * Quotes a new RFQ for every eligible built-in maker. `pickedUpAt` (performance.now()) is when the job
   * started: the latency to each committed quote is recorded.
   */
  async onRfqCreated(
    payload: RfqCreatedPayload,
    correlationId: string | null,
    pickedUpAt = performance.now(),
  ): Promise<BroadcastResult> {
    const result: BroadcastResult = { quotes: [], waitingFor: [] };
    if (new Date(payload.expiresAt).getTime() <= Date.now()) return result;
    const legs = await this.resolveLegs(payload.legs);
    if (!legs) return result;
    const underlyings = new Set(legs.map((l) => l.instrument.underlying));
    // Read afresh (one indexed query): a maker enabled a moment ago must not miss the RFQ, and a job
    // is never retried for having found no maker.
    const eligible = (await this.strategyRepo.enabled()).filter(
      (s) =>
        s.makerId !== payload.takerId &&
        (payload.routedToAll || (payload.makers ?? []).includes(s.makerId)) &&
        [...underlyings].every((u) => s.underlyings.includes(u)),
    );
    const remaining = dec(payload.quantity).minus(dec(payload.filledQuantity ?? '0'));
    const waiting = new Set<string>();
    await Promise.all(
      eligible.map(async (strategy) => {
        const outcome = await this.quoteOnce(strategy, payload.id, legs, remaining, correlationId);
        if (outcome.kind === 'stale') outcome.underlyings.forEach((u) => waiting.add(u));
        if (outcome.kind === 'quoted') {
          if (outcome.created) this.metrics.recordQuoteLatency(performance.now() - pickedUpAt);
          result.quotes.push(outcome.quote);
        }
      }),
    );
    result.waitingFor = [...waiting].sort();
    return result;
  }

  /** The maker's first quote on the RFQ, unless it already has one. */
  async quoteOnce(
    strategy: MakerStrategySettings,
    rfqId: string,
    legs: PricingLeg[],
    remaining: Decimal,
    correlationId: string | null,
  ): Promise<
    | { kind: 'quoted'; quote: QuoteView; created: boolean }
    | { kind: 'stale'; underlyings: string[] }
    | { kind: 'none'; reason: string }
  > {
    const clientQuoteId = autoQuoteId(rfqId, strategy.makerId);
    const existing = await this.rfqs.findQuoteByClientId(this.rfqs.db, strategy.makerId, clientQuoteId);
    if (existing) return { kind: 'quoted', quote: existing, created: false };
    return this.submit(strategy, rfqId, legs, remaining, clientQuoteId, correlationId);
  }

  /** Prices and submits one quote under `clientQuoteId`. */
  async submit(
    strategy: MakerStrategySettings,
    rfqId: string,
    legs: PricingLeg[],
    remaining: Decimal,
    clientQuoteId: string,
    correlationId: string | null,
  ): Promise<
    | { kind: 'quoted'; quote: QuoteView; created: boolean; outcome: PricingOutcome }
    | { kind: 'stale'; underlyings: string[] }
    | { kind: 'none'; reason: string }
  > {
    const outcome = await this.pricing.price(strategy, legs, remaining);
    if (outcome.kind === 'stale') return outcome;
    if (outcome.kind === 'skip') return { kind: 'none', reason: outcome.reason };
    const sides = quoteSides(outcome.quote);
    if (!sides) return { kind: 'none', reason: outcome.quote.notes.join('; ') || 'nothing to offer' };
    const actor = makerActor(strategy.makerId, correlationId);
    try {
      const { quote, created } = await this.quotes.submit(actor, {
        rfqId,
        clientQuoteId,
        ...sides,
        validForSeconds: strategy.quoteValiditySeconds,
        // No session to lose: a built-in maker's quotes live until their validity or a requote.
        cancelOnDisconnect: false,
      });
      if (created)
        this.baselines.set(quote.id, {
          theo: outcome.quote.theo,
          inventoryVersion: outcome.inventoryVersion,
          at: Date.now(),
        });
      return { kind: 'quoted', quote, created, outcome };
    } catch (error) {
      if (error instanceof DomainError && RFQ_GONE.has(error.code))
        return { kind: 'none', reason: error.code };
      if (error instanceof DomainError && error.code === 'QUOTE.DUPLICATE_CLIENT_ID') {
        // A concurrent delivery of the same job quoted first (at another price): that quote stands.
        const raced = await this.rfqs.findQuoteByClientId(this.rfqs.db, strategy.makerId, clientQuoteId);
        if (raced) return { kind: 'quoted', quote: raced, created: false, outcome };
      }
      this.logger.warn(
        `quote for RFQ ${rfqId} by ${strategy.makerId} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw error;
    }
  }
}
