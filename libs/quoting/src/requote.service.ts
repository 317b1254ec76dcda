import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Decimal, DomainError } from '@app/core';
import { MarketDataService } from '@app/market-data';
import { InstrumentRepository, QuoteService, type QuoteView, RfqRepository } from '@app/rfq';
import { AutoQuoteService, makerActor, type QuoteBaseline, quoteSides } from './auto-quote.service.js';
import { nextAutoQuoteId } from './client-quote-id.js';
import { InventoryService } from './inventory.service.js';
import type { PricingLeg } from './quote-pricing.service.js';
import { QuotePricingService } from './quote-pricing.service.js';
import { type LiveAutoQuote, QuotingRepository } from './quoting.repository.js';
import type { MakerStrategySettings } from './strategy.repository.js';
import type { StructureQuote } from './strategy-pricing.js';

/** Every live quote is re-priced at least this often. */
export const REQUOTE_INTERVAL_MS = 1_000;
/** Market-data updates and fills trigger a pass, but no more often than this. */
export const REQUOTE_MIN_GAP_MS = 500;
/**
 * A quote stands at least this long before the market alone replaces it (an inventory change
 * still replaces it at once): re-pricing and replacing every quote on every tick cost more than
 * the RFQs themselves, for moves well inside the quote's width.
 */
export const REQUOTE_MIN_QUOTE_AGE_MS = 1_000;
/** Quotes re-priced at once in a pass. */
const PARALLEL = 8;

/** A quote pulled for stale data, to be quoted again when the data is fresh. */
interface Pulled {
  rfqId: string;
  makerId: string;
  lastClientQuoteId: string;
  expiresAt: Date;
}

/**
 * Keeps the built-in makers' live quotes in line with the market and their books. Every second, and on
 * market-data updates and inventory changes (throttled to one pass per 500 ms), each live quote the
 * workers placed is re-priced; it is replaced (QuoteService.replace, next client id in its chain) when
 * the structure's theo moved by more than the strategy's requoteThreshold relative to the theo it was
 * priced at, or the maker's inventory changed since. Quotes whose underlying's data went stale are
 * pulled (cancelled), and quoted again once the data is fresh. Baselines live in memory: after a restart
 * the first pass replaces only quotes whose prices differ from what the strategy now gives.
 */
@Injectable()
export class RequoteService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RequoteService.name);
  private readonly pulled = new Map<string, Pulled>();
  private readonly legs = new Map<string, PricingLeg[]>();
  private timer: NodeJS.Timeout | null = null;
  private delayed: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastStart = 0;
  private unsubscribe: Array<() => void> = [];
  /** Replacements and cancellations made, for tests and metrics. */
  readonly counters = { passes: 0, replaced: 0, pulled: 0, requoted: 0, cancelled: 0 };

  constructor(
    private readonly auto: AutoQuoteService,
    private readonly pricing: QuotePricingService,
    private readonly quotes: QuoteService,
    private readonly rfqs: RfqRepository,
    private readonly instruments: InstrumentRepository,
    private readonly repo: QuotingRepository,
    private readonly market: MarketDataService,
    private readonly inventory: InventoryService,
  ) {}

  private get baselines(): Map<string, QuoteBaseline> {
    return this.auto.baselines;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), REQUOTE_INTERVAL_MS);
    this.timer.unref();
    this.unsubscribe = [
      this.market.onUpdate(() => this.kickThrottled()),
      this.inventory.onChange(() => this.kickThrottled()),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.delayed) clearTimeout(this.delayed);
    this.timer = this.delayed = null;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.running;
  }

  /** Starts a pass, or asks the running one to go round again. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.lastStart = Date.now();
    this.running = this.pass()
      .catch((error: unknown) => this.logger.warn(`requote pass: ${String(error)}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kickThrottled();
        }
      });
  }

  private kickThrottled(): void {
    if (this.stopped || this.delayed) return;
    const wait = this.lastStart + REQUOTE_MIN_GAP_MS - Date.now();
    if (wait <= 0) return this.kick();
    this.delayed = setTimeout(() => {
      this.delayed = null;
      this.kick();
    }, wait);
    this.delayed.unref();
  }

  /** One pass over every live auto quote (exposed for tests and the bench). */
  async pass(): Promise<void> {
    this.counters.passes++;
    const startedAt = Date.now();
    const strategies = new Map((await this.auto.enabledStrategies()).map((s) => [s.makerId, s]));
    const live = await this.repo.liveAutoQuotes(this.repo.db, [...strategies.keys()]);
    const seen = new Set(live.map((l) => l.quote.id));
    const queue = [...live];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const item = next;
          await this.requoteOne(strategies.get(item.quote.makerId)!, item).catch((error: unknown) =>
            this.report(item.quote, error),
          );
        }
      }),
    );
    for (const [id, b] of this.baselines) if (!seen.has(id) && b.at < startedAt) this.baselines.delete(id);
    const rfqsInUse = new Set([
      ...live.map((l) => l.quote.rfqId),
      ...[...this.pulled.values()].map((p) => p.rfqId),
    ]);
    for (const id of this.legs.keys()) if (!rfqsInUse.has(id)) this.legs.delete(id);
    await this.resubmitPulled(strategies);
  }

  private report(quote: QuoteView, error: unknown): void {
    // Lost races (the quote filled, was cancelled or replaced meanwhile) are normal: the next pass sees it.
    if (error instanceof DomainError && /^(QUOTE\.NOT_LIVE|RFQ\.|QUOTE\.NOT_FOUND)/.test(error.code)) return;
    if ((error as { code?: string }).code === '23505') return;
    this.logger.warn(`requote of ${quote.id}: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async legsOf(rfqId: string): Promise<PricingLeg[] | null> {
    const cached = this.legs.get(rfqId);
    if (cached) return cached;
    const rfq = await this.rfqs.findRfq(this.rfqs.db, rfqId);
    if (!rfq) return null;
    const legs: PricingLeg[] = [];
    for (const l of rfq.legs) {
      const instrument = await this.instruments.findById(l.instrumentId);
      if (!instrument) return null;
      legs.push({ instrument, side: l.side, ratio: l.ratio });
    }
    this.legs.set(rfqId, legs);
    return legs;
  }

  private async requoteOne(strategy: MakerStrategySettings, live: LiveAutoQuote): Promise<void> {
    const { quote } = live;
    const standing = this.baselines.get(quote.id);
    if (
      standing &&
      Date.now() - quote.createdAt.getTime() < REQUOTE_MIN_QUOTE_AGE_MS &&
      standing.inventoryVersion === this.inventory.version(quote.makerId)
    )
      return;
    const legs = await this.legsOf(quote.rfqId);
    if (!legs) return;
    const remaining = live.rfqQuantity.minus(live.rfqFilled);
    if (!remaining.gt(0)) return;
    const outcome = await this.pricing.price(strategy, legs, remaining);
    if (outcome.kind === 'skip') return;
    const actor = makerActor(quote.makerId, `requote:${quote.id}`);
    if (outcome.kind === 'stale') {
      const cancelled = await this.quotes.cancelAll(actor, {
        quoteIds: [quote.id],
        reason: `market data stale (${outcome.underlyings.join(', ')})`,
      });
      if (cancelled.length > 0) {
        this.counters.pulled++;
        this.baselines.delete(quote.id);
        this.pulled.set(`${quote.rfqId}|${quote.makerId}`, {
          rfqId: quote.rfqId,
          makerId: quote.makerId,
          lastClientQuoteId: quote.clientQuoteId,
          expiresAt: live.rfqExpiresAt,
        });
      }
      return;
    }
    const baseline = this.baselines.get(quote.id);
    const fresh: QuoteBaseline = {
      theo: outcome.quote.theo,
      inventoryVersion: outcome.inventoryVersion,
      at: Date.now(),
    };
    if (baseline) {
      const moved =
        Math.abs(fresh.theo - baseline.theo) / Math.max(Math.abs(baseline.theo), outcome.tick.toNumber()) >
        strategy.requoteThreshold.toNumber();
      if (!moved && fresh.inventoryVersion === baseline.inventoryVersion) return;
    }
    if (sameSides(quote, outcome.quote)) {
      this.baselines.set(quote.id, fresh);
      return;
    }
    const sides = quoteSides(outcome.quote);
    if (!sides) {
      // Limits (or the price) leave nothing to offer: the old quote must not stay either.
      await this.quotes.cancelAll(actor, { quoteIds: [quote.id], reason: 'requote: nothing to offer' });
      this.baselines.delete(quote.id);
      this.counters.cancelled++;
      return;
    }
    const replacement = await this.quotes.replace(actor, quote.id, {
      ...sides,
      clientQuoteId: nextAutoQuoteId(quote.clientQuoteId),
      validForSeconds: strategy.quoteValiditySeconds,
      cancelOnDisconnect: false,
    });
    this.baselines.delete(quote.id);
    this.baselines.set(replacement.id, fresh);
    this.counters.replaced++;
  }

  private async resubmitPulled(strategies: Map<string, MakerStrategySettings>): Promise<void> {
    for (const [key, p] of this.pulled) {
      const strategy = strategies.get(p.makerId);
      if (!strategy || p.expiresAt.getTime() <= Date.now()) {
        this.pulled.delete(key);
        continue;
      }
      const legs = await this.legsOf(p.rfqId);
      if (!legs) {
        this.pulled.delete(key);
        continue;
      }
      if (this.pricing.staleUnderlyings(legs).length > 0) continue;
      const rfq = await this.rfqs.findRfq(this.rfqs.db, p.rfqId);
      const remaining = rfq ? rfq.quantity.minus(rfq.filledQuantity) : new Decimal(0);
      if (!rfq || !remaining.gt(0)) {
        this.pulled.delete(key);
        continue;
      }
      this.pulled.delete(key);
      try {
        const r = await this.auto.submit(
          strategy,
          p.rfqId,
          legs,
          remaining,
          nextAutoQuoteId(p.lastClientQuoteId),
          `requote:${p.rfqId}`,
        );
        if (r.kind === 'stale') this.pulled.set(key, p);
        if (r.kind === 'quoted') this.counters.requoted++;
      } catch (error) {
        this.logger.warn(`re-quote of RFQ ${p.rfqId} for ${p.makerId}: ${String(error)}`);
      }
    }
  }
}

/** The live quote already shows exactly these sides (prices and sizes). */
function sameSides(quote: QuoteView, priced: StructureQuote): boolean {
  const same = (live: QuoteView['bid'], next: StructureQuote['bid']) => {
    if (!live || !next) return !live && !next;
    return live.price.eq(next.price) && live.quantity.eq(next.quantity);
  };
  return same(quote.bid, priced.bid) && same(quote.ask, priced.ask);
}
