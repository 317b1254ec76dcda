import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuctionService } from '@app/auction';
import { AppConfig, Decimal, DomainError, MARK_SOURCE, dec } from '@app/core';
import type { MarkSource } from '@app/core';
import { PG_POOL } from '@app/db';
import { createRng } from '@app/pricing';
import { Actor, InstrumentInfo, InstrumentRepository, QuoteService, RfqService, Side } from '@app/rfq';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';

type Structure = { name: string; legs: Array<{ instrument: InstrumentInfo; side: Side; ratio: number }> };

const SUMMARY_MS = 2_000;

/**
 * The demo market of `npm start`: demo takers send a stream of realistic RFQs (single options,
 * spreads, straddles, risk reversals, futures), take the best quote on about half of them, and the
 * console shows a compact live summary.
 */
@Injectable()
export class DemoTakerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('demo');
  private readonly rng = createRng(7);
  private timers: NodeJS.Timeout[] = [];
  private takers: Actor[] = [];
  private makers: Array<{ id: string; name: string }> = [];
  private stats = {
    rfqs: 0,
    quotes: 0,
    quotedRfqs: 0,
    fills: 0,
    windowRfqs: 0,
    windowStart: Date.now(),
    rejected: 0,
  };

  constructor(
    private readonly config: AppConfig,
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly auction: AuctionService,
    private readonly instruments: InstrumentRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(MARK_SOURCE) private readonly marks: MarkSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.DEMO_TAKER) return;
    const { rows } = await this.pool.query<{ id: string; name: string; role: 'TAKER' | 'MAKER' }>(
      `SELECT id, name, role FROM accounts WHERE role IN ('TAKER', 'MAKER') ORDER BY name`,
    );
    this.takers = rows
      .filter((r) => r.role === 'TAKER')
      .map((r) => ({ accountId: r.id, role: 'TAKER', correlationId: null }));
    this.makers = rows.filter((r) => r.role === 'MAKER');
    if (this.takers.length === 0) {
      this.logger.warn('no taker accounts: run npm run db:seed');
      return;
    }
    this.logger.log(`demo takers sending ${this.config.DEMO_RFQ_PER_SECOND} RFQs/s`);
    this.timers.push(setInterval(() => void this.sendOne(), 1000 / this.config.DEMO_RFQ_PER_SECOND));
    this.timers.push(setInterval(() => void this.printSummary(), SUMMARY_MS));
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
  }

  private pick<T>(items: T[]): T {
    return items[this.rng.nextInt(items.length)]!;
  }

  private async structure(): Promise<Structure | null> {
    const all = (await this.instruments.all()).filter(
      (i) => i.active && (!i.expiry || i.expiry.getTime() > Date.now() + 86_400_000),
    );
    const underlying = this.rng.nextFloat() < 0.65 ? 'BTC' : 'ETH';
    const options = all.filter((i) => i.underlying === underlying && i.kind === 'OPTION');
    const expiries = [...new Set(options.map((o) => o.expiry!.getTime()))].sort();
    const expiry = this.pick(expiries);
    const chain = options
      .filter((o) => o.expiry!.getTime() === expiry)
      .sort((a, b) => a.strike!.cmp(b.strike!));
    const strikes = [...new Set(chain.map((o) => o.strike!.toFixed()))];
    const atm = Math.floor(strikes.length / 2);
    const at = (offset: number, type: 'CALL' | 'PUT') =>
      chain.find(
        (o) =>
          o.strike!.toFixed() === strikes[Math.min(strikes.length - 1, Math.max(0, atm + offset))] &&
          o.optionType === type,
      );
    const side: Side = this.rng.nextFloat() < 0.5 ? 'BUY' : 'SELL';
    const kind = this.rng.nextInt(6);
    const legs = (list: Array<[InstrumentInfo | undefined, Side, number]>) =>
      list.every(([i]) => i)
        ? list.map(([instrument, s, ratio]) => ({ instrument: instrument!, side: s, ratio }))
        : null;
    const off = this.rng.nextInt(3) - 1;
    switch (kind) {
      case 0: {
        const l = legs([[at(off, this.rng.nextFloat() < 0.5 ? 'CALL' : 'PUT'), side, 1]]);
        return l && { name: 'option', legs: l };
      }
      case 1: {
        const l = legs([
          [at(0, 'CALL'), 'BUY', 1],
          [at(2, 'CALL'), 'SELL', 1],
        ]);
        return l && { name: 'call spread', legs: l };
      }
      case 2: {
        const l = legs([
          [at(0, 'PUT'), 'BUY', 1],
          [at(-2, 'PUT'), 'SELL', 1],
        ]);
        return l && { name: 'put spread', legs: l };
      }
      case 3: {
        const l = legs([
          [at(0, 'CALL'), side, 1],
          [at(0, 'PUT'), side, 1],
        ]);
        return l && { name: 'straddle', legs: l };
      }
      case 4: {
        const l = legs([
          [at(2, 'CALL'), 'BUY', 1],
          [at(-2, 'PUT'), 'SELL', 1],
        ]);
        return l && { name: 'risk reversal', legs: l };
      }
      default: {
        const futures = all.filter((i) => i.underlying === underlying && i.kind !== 'OPTION');
        return { name: 'future', legs: [{ instrument: this.pick(futures), side, ratio: 1 }] };
      }
    }
  }

  private async sendOne(): Promise<void> {
    try {
      const s = await this.structure();
      if (!s) return;
      const taker = this.pick(this.takers);
      const lot = s.legs.reduce(
        (m, l) => (l.instrument.lotSize.gt(m) ? l.instrument.lotSize : m),
        new Decimal(0),
      );
      const quantity = lot.mul(1 + this.rng.nextInt(s.legs[0]!.instrument.kind === 'OPTION' ? 100 : 1000));
      const { rfq } = await this.rfqs.create(taker, {
        clientRfqId: `demo-${randomUUID()}`,
        legs: s.legs.map((l) => ({ instrument: l.instrument.name, side: l.side, ratio: dec(l.ratio) })),
        quantity,
        expiresInSeconds: 20,
      });
      this.stats.rfqs++;
      this.stats.windowRfqs++;
      // Let the makers answer, then take the best price on about half of the RFQs.
      setTimeout(() => void this.maybeTrade(taker, rfq.id, quantity), 1_500);
    } catch (error) {
      if (!(error instanceof DomainError)) this.logger.warn(`demo RFQ failed: ${String(error)}`);
    }
  }

  private async maybeTrade(taker: Actor, rfqId: string, quantity: Decimal): Promise<void> {
    try {
      const live = await this.quotes.list(taker, { rfqId, states: ['LIVE'], limit: 50 });
      this.stats.quotes += live.length;
      if (live.length > 0) this.stats.quotedRfqs++;
      if (live.length === 0 || this.rng.nextFloat() < 0.5) return;
      const side: Side = this.rng.nextFloat() < 0.5 ? 'BUY' : 'SELL';
      const prices = live
        .map((q) => (side === 'BUY' ? q.ask?.price : q.bid?.price))
        .filter((p): p is Decimal => !!p);
      if (prices.length === 0) return;
      const best = prices.reduce((a, b) => (side === 'BUY' ? (b.lt(a) ? b : a) : b.gt(a) ? b : a));
      const res = await this.auction.execute(
        taker,
        rfqId,
        { side, quantity, limitPrice: best },
        randomUUID(),
      );
      this.stats.fills += res.body.fills.length;
    } catch (error) {
      this.stats.rejected++;
      if (!(error instanceof DomainError)) this.logger.warn(`demo trade failed: ${String(error)}`);
    }
  }

  private async printSummary(): Promise<void> {
    const now = Date.now();
    const rate = (this.stats.windowRfqs * 1000) / Math.max(1, now - this.stats.windowStart);
    this.stats.windowRfqs = 0;
    this.stats.windowStart = now;
    const { rows } = await this.pool.query<{ account_id: string; instrument_id: string; quantity: string }>(
      `SELECT account_id, instrument_id, quantity::text FROM positions WHERE quantity <> 0 AND account_id = ANY($1::uuid[])`,
      [this.makers.map((m) => m.id)],
    );
    const balances = await this.pool.query<{ account_id: string; amount: string }>(
      `SELECT account_id, amount::text FROM balances WHERE asset_code = 'USDC' AND account_id = ANY($1::uuid[])`,
      [this.makers.map((m) => m.id)],
    );
    const lines: string[] = [];
    for (const m of this.makers) {
      let delta = 0;
      let vega = 0;
      let value = 0;
      for (const p of rows.filter((r) => r.account_id === m.id)) {
        const instrument = await this.instruments.findById(p.instrument_id);
        const mark = instrument ? this.marks.markOf(instrument) : null;
        if (!instrument || !mark) continue;
        const q = Number(p.quantity);
        delta += q * (mark.greeks.delta ?? 0);
        vega += q * (mark.greeks.vegaPerPoint ?? 0);
        value += q * mark.price * instrument.multiplier.toNumber();
      }
      const cash = Number(balances.rows.find((b) => b.account_id === m.id)?.amount ?? 0);
      lines.push(
        `${m.name.padEnd(14)} delta ${delta.toFixed(3).padStart(9)}  vega/pt ${vega.toFixed(1).padStart(9)}  P&L ${(cash + value).toFixed(2).padStart(12)} USDC`,
      );
    }
    const quotesPerRfq = this.stats.quotedRfqs ? (this.stats.quotes / this.stats.quotedRfqs).toFixed(1) : '0';
    process.stdout.write(
      `\n[demo] RFQs ${this.stats.rfqs} (${rate.toFixed(1)}/s)  quotes/RFQ ${quotesPerRfq}  fills ${this.stats.fills}  rejected ${this.stats.rejected}\n${lines.map((l) => `       ${l}`).join('\n')}\n`,
    );
  }
}
