import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuctionEngineModule, AuctionModule, AuctionService } from '@app/auction';
import { AuditModule, AuditRepository } from '@app/audit';
import { AppConfig, Decimal, DomainError, type OutboxEventJob, QUEUES } from '@app/core';
import { InfraModule, PG_POOL, PrismaService, seedDatabase } from '@app/db';
import { EventsModule } from '@app/events';
import { MarketDataModule, MarketDataPublisher, MarketDataService } from '@app/market-data';
import {
  HedgeProcessor,
  InventoryService,
  QuoterWorkersModule,
  QuotingModule,
  RfqBroadcastProcessor,
  StrategyRepository,
} from '@app/quoting';
import { type Actor, QuoteService, type QuoteView, RfqModule, RfqRepository, RfqService } from '@app/rfq';
import { LedgerCheckService, SettlementModule } from '@app/settlement';
import type { Job, Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createTestEnv, TestEnv } from './support/test-env.js';

const MAX_AGE_MS = 1_000;
const d = (v: string | number) => new Decimal(v);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

const mid = (q: QuoteView) => q.bid!.price.plus(q.ask!.price).div(2);

/**
 * The built-in makers end to end, in one process against real PostgreSQL and Redis: the engine's modules
 * (relay, timers), the market-data publisher (simulator) and the quoter's modules and workers.
 */
describe('built-in market makers', () => {
  let env: TestEnv;
  let app: INestApplicationContext;
  let pool: Pool;
  let rfqs: RfqService;
  let quotes: QuoteService;
  let rfqRepo: RfqRepository;
  let auction: AuctionService;
  let market: MarketDataService;
  let taker: Actor;
  const ids: Record<string, string> = {};
  let call: string;

  beforeAll(async () => {
    env = await createTestEnv('quoting');
    const overrides = {
      ...env.overrides,
      MARKET_DATA_SOURCE: 'simulator',
      MARKET_DATA_SEED: '11',
      MARKET_DATA_INTERVAL_MS: '50',
      MARKET_DATA_MAX_AGE_MS: String(MAX_AGE_MS),
    };
    @Module({
      imports: [
        InfraModule.forRoot(overrides),
        AuditModule,
        EventsModule.forRoot({ relay: true }),
        RfqModule,
        SettlementModule,
        AuctionModule,
        AuctionEngineModule,
        MarketDataModule.forRoot({ publish: true }),
        QuotingModule,
        QuoterWorkersModule,
      ],
    })
    class QuotingTestModule {}
    app = await NestFactory.createApplicationContext(QuotingTestModule, { logger: ['error'] });
    await app.init();
    const config = app.get(AppConfig);
    const prisma = app.get(PrismaService);
    await seedDatabase(prisma, {
      now: new Date(),
      encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
      feeAccountName: config.FEE_ACCOUNT_NAME,
      hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
    });
    pool = app.get<Pool>(PG_POOL);
    rfqs = app.get(RfqService);
    quotes = app.get(QuoteService);
    rfqRepo = app.get(RfqRepository);
    auction = app.get(AuctionService);
    market = app.get(MarketDataService);
    for (const a of await prisma.account.findMany()) ids[a.name] = a.id;
    taker = { accountId: ids['taker-alpha']!, role: 'TAKER', correlationId: null };
    // The ATM call of the second (about four weeks) expiry.
    call = (
      await pool.query<{ name: string }>(
        `SELECT name FROM instruments WHERE underlying = 'BTC' AND option_type = 'CALL' AND strike = 100000
          ORDER BY expiry OFFSET 1 LIMIT 1`,
      )
    ).rows[0]!.name;
    await waitFor(async () => market.isFresh('BTC') && market.isFresh('ETH'));
  });

  afterAll(async () => {
    await app?.close();
    await env?.drop();
  });

  const newRfq = async (
    quantity: string,
    legs = [{ instrument: call, side: 'BUY' as const, ratio: d(1) }],
    makers?: string[],
  ) =>
    (
      await rfqs.create(taker, {
        clientRfqId: randomUUID(),
        legs,
        quantity: d(quantity),
        expiresInSeconds: 120,
        ...(makers ? { makers } : {}),
      })
    ).rfq;

  const liveOf = async (rfqId: string, makerName: string) =>
    (await rfqRepo.liveQuotes(pool, rfqId)).find((q) => q.makerId === ids[makerName]);

  const bothQuoted = (rfqId: string, check: (q: QuoteView) => boolean = () => true) =>
    waitFor(async () => {
      const [delta, echo] = [await liveOf(rfqId, 'maker-delta'), await liveOf(rfqId, 'maker-echo')];
      return delta && echo && check(delta) && check(echo) ? { delta, echo } : null;
    });

  /** Accepts the maker's current live quote, retrying when a requote replaced it in between. */
  const acceptLatest = async (rfqId: string, makerName: string, side: 'BUY' | 'SELL') => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const q = await liveOf(rfqId, makerName);
      if (!q) {
        await sleep(20);
        continue;
      }
      try {
        const res = await auction.accept(taker, rfqId, { quoteId: q.id, side }, randomUUID());
        return { quote: q, fill: res.body.fills[0]! };
      } catch (error) {
        if (error instanceof DomainError && error.code === 'QUOTE.NOT_LIVE') continue;
        throw error;
      }
    }
    throw new Error('could not accept a live quote');
  };

  it('quotes a new RFQ from both built-in makers within a few seconds, once per maker', async () => {
    const started = Date.now();
    const rfq = await newRfq('20');
    const { delta, echo } = await bothQuoted(rfq.id);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const q of [delta, echo]) {
      expect(q.clientQuoteId.startsWith(`auto:${rfq.id}:${q.makerId}`)).toBe(true);
      expect(q.bid!.price.lt(q.ask!.price)).toBe(true);
      expect(q.bid!.price.mod(5).isZero() && q.ask!.price.mod(5).isZero()).toBe(true);
      expect(q.bid!.quantity.toFixed()).toBe('20');
      expect(q.cancelOnDisconnect).toBe(false);
    }
    // The more risk-averse maker (γ 0.5, 4 ticks) quotes wider.
    expect(echo.ask!.price.minus(echo.bid!.price).gt(delta.ask!.price.minus(delta.bid!.price))).toBe(true);

    // A re-delivered broadcast job finds the existing quotes and creates none.
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM outbox_events WHERE type = 'rfq.created' AND aggregate_id = $1`,
      [rfq.id],
    );
    const queue = app.get<Queue<OutboxEventJob>>(getQueueToken(QUEUES.rfqBroadcast));
    const job = (await queue.getJob(rows[0]!.id))!;
    const again = await app.get(RfqBroadcastProcessor).process(job as Job<OutboxEventJob>);
    expect(again!.quotes).toHaveLength(2);
    const firsts = await pool.query(
      `SELECT count(*)::int AS n FROM quotes WHERE rfq_id = $1 AND client_quote_id = 'auto:' || rfq_id || ':' || maker_id`,
      [rfq.id],
    );
    expect(firsts.rows[0].n).toBe(2);
  });

  it('skews: after a taker buys calls from a maker, its next quote on the same calls is higher', async () => {
    await app.get(StrategyRepository).update(ids['maker-delta']!, { hedgeEnabled: false }, ids.admin!, null); // keep the short delta
    const rfq1 = await newRfq('20');
    await bothQuoted(rfq1.id);
    const echo1 = (await liveOf(rfq1.id, 'maker-echo'))!;
    const { quote: before, fill } = await acceptLatest(rfq1.id, 'maker-delta', 'BUY');
    expect(fill.quantity).toBe('20');

    const rfq2 = await newRfq('20');
    const after = await waitFor(async () => {
      const q = await liveOf(rfq2.id, 'maker-delta');
      return q && q.ask && q.ask.price.gt(before.ask!.price) && mid(q).gt(mid(before)) ? q : null;
    });
    const echo2 = (await bothQuoted(rfq2.id)).echo;
    // Against the other maker (whose book did not change) too, so a market move cannot explain it.
    expect(
      mid(after)
        .minus(mid(echo2))
        .gt(mid(before).minus(mid(echo1))),
    ).toBe(true);
    await rfqs.cancel(taker, rfq2.id);
  });

  it('at its delta limit a maker offers only the side that reduces its delta', async () => {
    // maker-delta is short 20 calls (about -10 BTC of delta): a limit of 5 leaves it over the limit.
    await pool.query(`UPDATE risk_limits SET max_abs_delta = 5 WHERE maker_id = $1 AND underlying = 'BTC'`, [
      ids['maker-delta'],
    ]);
    await sleep(1_100); // limits are cached for a second
    const rfq = await newRfq('20');
    const { delta, echo } = await waitFor(async () => {
      const [dq, eq] = [await liveOf(rfq.id, 'maker-delta'), await liveOf(rfq.id, 'maker-echo')];
      return dq && eq ? { delta: dq, echo: eq } : null;
    });
    expect(delta.ask).toBeNull();
    expect(delta.bid!.quantity.toFixed()).toBe('20'); // buying the calls back flattens it
    expect(echo.bid && echo.ask).toBeTruthy();
    await rfqs.cancel(taker, rfq.id);
    await pool.query(`UPDATE risk_limits SET max_abs_delta = 50 WHERE maker_id = $1 AND underlying = 'BTC'`, [
      ids['maker-delta'],
    ]);
  });

  it('rejects a fill that would breach a hard limit with RISK.LIMIT_BREACHED and books nothing', async () => {
    const foxtrot: Actor = { accountId: ids['maker-foxtrot']!, role: 'MAKER', correlationId: null };
    const rfq = await newRfq(
      '60',
      [{ instrument: 'BTC-PERPETUAL', side: 'BUY', ratio: d(1) }],
      [ids['maker-foxtrot']!],
    );
    // The external maker sets a 50 BTC delta limit for itself (the seed gives it none).
    await pool.query(
      `INSERT INTO risk_limits (maker_id, underlying, max_abs_delta) VALUES ($1, 'BTC', 50)
       ON CONFLICT (maker_id, underlying) DO UPDATE SET max_abs_delta = 50`,
      [ids['maker-foxtrot']],
    );
    const { quote } = await quotes.submit(foxtrot, {
      rfqId: rfq.id,
      clientQuoteId: randomUUID(),
      ask: { price: d('100000'), quantity: d(60), minQuantity: d('0.001') },
      validForSeconds: 60,
    });
    // 40 fits the 50 BTC delta limit...
    const first = await auction.accept(
      taker,
      rfq.id,
      { quoteId: quote.id, side: 'BUY', quantity: d(40) },
      randomUUID(),
    );
    expect(first.body.filledQuantity).toBe('40');
    // ...20 more would take the maker to -60.
    const tables = async () =>
      (
        await pool.query(
          `SELECT (SELECT count(*) FROM fills) AS fills, (SELECT count(*) FROM postings) AS postings,
                  (SELECT md5(string_agg(account_id::text || instrument_id::text || quantity::text, ',' ORDER BY account_id, instrument_id)) FROM positions) AS positions,
                  (SELECT md5(string_agg(account_id::text || amount::text, ',' ORDER BY account_id)) FROM balances) AS balances`,
        )
      ).rows[0];
    const before = await tables();
    let error: DomainError | null = null;
    try {
      await auction.accept(taker, rfq.id, { quoteId: quote.id, side: 'BUY', quantity: d(20) }, randomUUID());
    } catch (e) {
      error = e as DomainError;
    }
    expect(error?.code).toBe('RISK.LIMIT_BREACHED');
    expect(error?.message).toMatch(/maxAbsDelta on BTC: -60 beyond 50 \(was -40\)/);
    expect(error?.details[0]).toMatchObject({ limit: 'maxAbsDelta', underlying: 'BTC', max: 50 });
    expect(await tables()).toEqual(before);
    expect((await rfqRepo.findRfq(pool, rfq.id))!.filledQuantity.toFixed()).toBe('40');
    expect((await rfqRepo.findQuote(pool, quote.id))!.state).toBe('LIVE');
  });

  it('hedges a large fill with the perpetual once, however often the job is delivered', async () => {
    const echo = ids['maker-echo']!;
    const rfq = await newRfq('40');
    await bothQuoted(rfq.id, (q) => q.ask !== null);
    const { fill } = await acceptLatest(rfq.id, 'maker-echo', 'BUY'); // echo sells 40 calls: ~ -21 BTC
    const { rows: events } = await pool.query<{ id: string }>(
      `SELECT id FROM outbox_events WHERE type = 'fill.booked' AND aggregate_id = $1`,
      [fill.id],
    );
    const eventId = events[0]!.id;
    const hedge = await waitFor(async () => {
      const { rows } = await pool.query(
        `SELECT h.*, i.name AS instrument FROM hedge_orders h JOIN instruments i ON i.id = h.instrument_id
          WHERE h.trigger_event_id = $1`,
        [eventId],
      );
      return rows[0];
    }, 10_000);
    expect(hedge.maker_id).toBe(echo);
    expect(hedge.instrument).toBe('BTC-PERPETUAL');
    expect(hedge.side).toBe('BUY');
    expect(Number(hedge.delta_before)).toBeLessThan(-15);
    const qty = Number(hedge.quantity);
    expect(qty).toBeGreaterThan(10);
    expect(Number(hedge.delta_before) + qty).toBeLessThanOrEqual(-Number(hedge.band_width) + 1e-9);
    expect(Number(hedge.price)).toBeGreaterThan(Number(hedge.reference_price));
    expect(Number(hedge.slippage_cost)).toBeCloseTo(
      (Number(hedge.price) - Number(hedge.reference_price)) * qty,
      6,
    );

    const { rows: postings } = await pool.query(
      `SELECT p.account_id, p.asset_code, p.amount::text FROM postings p JOIN journal_entries j ON j.id = p.journal_entry_id
        WHERE j.hedge_id = $1 AND j.kind = 'HEDGE' ORDER BY p.asset_code, p.amount`,
      [hedge.id],
    );
    const cash = d(hedge.quantity).mul(hedge.price);
    expect(postings).toEqual([
      {
        account_id: ids['hedge-venue'],
        asset_code: 'BTC-PERPETUAL',
        amount: d(hedge.quantity).neg().toFixed(12),
      },
      { account_id: echo, asset_code: 'BTC-PERPETUAL', amount: d(hedge.quantity).toFixed(12) },
      { account_id: echo, asset_code: 'USDC', amount: cash.neg().toFixed(12) },
      { account_id: ids['hedge-venue'], asset_code: 'USDC', amount: cash.toFixed(12) },
    ]);
    const { rows: out } = await pool.query(
      `SELECT payload FROM outbox_events WHERE type = 'hedge.booked' AND aggregate_id = $1`,
      [hedge.id],
    );
    expect(out[0].payload).toMatchObject({ makerId: echo, triggerEventId: eventId, side: 'BUY' });

    // Re-delivery: the processor again on the same job, and the same event through the queue under another id.
    const queue = app.get<Queue<OutboxEventJob>>(getQueueToken(QUEUES.hedge));
    const job = (await queue.getJob(eventId))!;
    const again = await app.get(HedgeProcessor).process(job as Job<OutboxEventJob>);
    expect(again).toMatchObject({ booked: [], duplicates: ['BTC'] });
    const redelivered = await queue.add('fill.booked', job.data, { jobId: `${eventId}-redelivered` });
    await waitFor(async () => (await redelivered.isCompleted()) || null);
    const count = await pool.query(`SELECT count(*)::int AS n FROM hedge_orders WHERE maker_id = $1`, [echo]);
    expect(count.rows[0].n).toBe(1);

    // The book as the risk report shows it: delta back at the band's edge, money as strings.
    const report = await waitFor(async () => {
      const r = await app.get(InventoryService).riskReport(echo);
      return r.positions.some((p) => p.instrument === 'BTC-PERPETUAL') ? r : null;
    });
    expect(Math.abs(report.greeks.byUnderlying.BTC!.delta)).toBeLessThan(Number(hedge.band_width) + 1);
    expect(typeof report.pnl.unrealised).toBe('string');
    expect(report.stress.all.spotShocks).toHaveLength(9);
    expect(Number(report.worstStressLoss)).toBeGreaterThan(0);
  });

  it('stops quoting on stale market data, pulls live quotes, and resumes when the data is fresh', async () => {
    const publisher = app.get(MarketDataPublisher);
    const before = await newRfq('5');
    const quoted = await bothQuoted(before.id);
    await publisher.stop();
    try {
      await waitFor(async () => !market.isFresh('BTC'), 3_000);
      // Live quotes priced on the old data are pulled.
      await waitFor(async () => (await rfqRepo.liveQuotes(pool, before.id)).length === 0);
      const pulled = await pool.query(
        `SELECT count(*)::int AS n FROM quotes WHERE rfq_id = $1 AND state = 'CANCELLED' AND maker_id = ANY($2::uuid[])`,
        [before.id, [quoted.delta.makerId, quoted.echo.makerId]],
      );
      expect(pulled.rows[0].n).toBe(2);
      const during = await newRfq('5');
      await sleep(1_500);
      expect(await rfqRepo.liveQuotes(pool, during.id)).toEqual([]);
      await publisher.start();
      await bothQuoted(during.id);
      const requoted = await bothQuoted(before.id);
      expect(requoted.delta.clientQuoteId).toMatch(/:\d+$/);
    } finally {
      await publisher.start();
    }
  });

  it('leaves the ledger clean, hedges included', async () => {
    const report = await app.get(LedgerCheckService).run();
    expect(report.problems).toEqual([]);
    expect((await app.get(AuditRepository).verify()).ok).toBe(true);
    const hedges = await pool.query(`SELECT count(*)::int AS n FROM journal_entries WHERE kind = 'HEDGE'`);
    expect(hedges.rows[0].n).toBeGreaterThanOrEqual(1);
  });
});
