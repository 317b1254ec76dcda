import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import { QuoteService, RfqRepository, RfqService } from '@app/rfq';
import type { Pool } from 'pg';
import { AuctionService } from './auction.service.js';

// Quotes expire only here, so the interval bounds how late a taker sees a quote.expired event.
const SWEEP_MS = 250;
const BATCH = 200;

/**
 * Every quarter second, whatever PostgreSQL says is due is handled: quotes past their validity
 * (their only expiry path) and, as the backstop for timer jobs lost with Redis, expired RFQs and
 * auto-executions. Safe to run on every engine at once.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly rfqRepo: RfqRepository,
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly auction: AuctionService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`sweep failed: ${String(error)}`))
        .finally(() => (this.running = null));
    }, SWEEP_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async sweep(now = new Date()): Promise<{ rfqs: number; quotes: number; autoExecutions: number }> {
    const auto = await this.rfqRepo.dueAutoExecutions(this.pool, now, BATCH);
    for (const id of auto) await this.auction.autoExecute(id);
    const rfqs = await this.rfqRepo.dueRfqs(this.pool, now, BATCH);
    for (const id of rfqs) await this.rfqs.expire(id);
    const quotes = await this.rfqRepo.dueQuotes(this.pool, now, BATCH);
    for (const id of quotes) await this.quotes.expire(id);
    return { rfqs: rfqs.length, quotes: quotes.length, autoExecutions: auto.length };
  }
}
