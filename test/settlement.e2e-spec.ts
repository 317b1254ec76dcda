import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import { Decimal, QUEUES } from '@app/core';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { d, databaseChecksum, Harness, outcome, startEngineHarness } from './support/engine-harness.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/** Auction + settlement through their services against real PostgreSQL and Redis. */
describe('auction, settlement and ledger', () => {
  let env: TestEnv;
  let h: Harness;
  let call: string;
  let put: string;
  let call2: string;

  beforeAll(async () => {
    env = await createTestEnv('settlement');
    h = await startEngineHarness(env);
    const pick = async (type: string, strike: number) =>
      (
        await h.pool.query<{ name: string }>(
          `SELECT name FROM instruments WHERE underlying = 'BTC' AND option_type = $1 AND strike = $2 ORDER BY expiry LIMIT 1`,
          [type, strike],
        )
      ).rows[0]!.name;
    call = await pick('CALL', 100000);
    put = await pick('PUT', 95000);
    call2 = await pick('CALL', 105000);
  });

  afterAll(async () => {
    await h.close();
    await env.drop();
  });

  const taker = () => h.takers[0]!;
  const newRfq = async (
    legs: Array<{ instrument: string; side: 'BUY' | 'SELL'; ratio: Decimal }> = [
      { instrument: call, side: 'BUY', ratio: d(1) },
    ],
    quantity = '1',
    extra = {},
  ) =>
    (
      await h.rfqs.create(taker(), {
        clientRfqId: randomUUID(),
        legs,
        quantity: d(quantity),
        expiresInSeconds: 60,
        ...extra,
      })
    ).rfq;
  const quote = async (
    makerIndex: number,
    rfqId: string,
    bid: string | null,
    ask: string | null,
    quantity = '1',
    min: string | null = null,
    validForSeconds = 30,
  ) =>
    (
      await h.quotes.submit(h.makers[makerIndex]!, {
        rfqId,
        clientQuoteId: randomUUID(),
        bid: bid ? { price: d(bid), quantity: d(quantity), minQuantity: min ? d(min) : null } : null,
        ask: ask ? { price: d(ask), quantity: d(quantity), minQuantity: min ? d(min) : null } : null,
        validForSeconds,
      })
    ).quote;

  it('books an accepted quote once, in balance, with positions, fees, outbox and audit', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, '4000', '4100');
    const res = await h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID());
    expect(res.body.filledQuantity).toBe('1');
    expect(res.body.rfqState).toBe('FILLED');
    const fill = res.body.fills[0]!;
    expect(fill.price).toBe('4100');
    expect(fill.premium).toBe('4100');
    expect(fill.takerFee).toBe('1.23'); // 3 bps of 4100
    expect(fill.makerFee).toBe('0.41'); // 1 bp
    expect(fill.legs).toEqual([{ instrument: call, side: 'BUY', quantity: '1', price: '4100' }]);

    const pos = await h.pool.query(
      `SELECT account_id, quantity::text, cost_basis::text FROM positions p JOIN instruments i ON i.id = p.instrument_id WHERE i.name = $1 ORDER BY quantity`,
      [call],
    );
    expect(pos.rows.map((r) => [r.account_id, r.quantity])).toEqual([
      [h.makers[0]!.accountId, '-1.000000000000'],
      [taker().accountId, '1.000000000000'],
    ]);
    const bal = await h.pool.query(
      `SELECT account_id, amount::text FROM balances WHERE account_id = ANY($1::uuid[]) ORDER BY amount`,
      [[taker().accountId, h.makers[0]!.accountId]],
    );
    expect(bal.rows).toEqual([
      { account_id: taker().accountId, amount: '-4101.230000000000' },
      { account_id: h.makers[0]!.accountId, amount: '4099.590000000000' },
    ]);
    const events = await h.pool.query(`SELECT type FROM outbox_events WHERE aggregate_id = $1`, [fill.id]);
    expect(events.rows).toEqual([{ type: 'fill.booked' }]);
    const report = await h.ledger.run();
    expect(report.problems).toEqual([]);
    expect((await h.audit.verify()).ok).toBe(true);
    // The two-sided quote traded its ask and filled the RFQ; its untouched bid is cancelled with the
    // RFQ (FILLED means every side consumed, see docs/auction-rules.md).
    const quoteRow = await h.pool.query(`SELECT state, ask_filled::text FROM quotes WHERE id = $1`, [q.id]);
    expect(quoteRow.rows[0]).toEqual({ state: 'CANCELLED', ask_filled: '1.00000000' });
    // The quote is consumed: it can never fill again.
    expect(
      await outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID())),
    ).toBe('RFQ.NOT_OPEN');
  });

  it('executes across makers best price first, respecting minimum quantities and the limit', async () => {
    const rfq = await newRfq(undefined, '3');
    const a = await quote(0, rfq.id, null, '4100', '2', '1'); // partial fills from 1
    const b = await quote(1, rfq.id, null, '4050', '1'); // all-or-none, best price
    await quote(2, rfq.id, null, '4200', '3', '1'); // beyond the limit
    const res = await h.auction.execute(
      taker(),
      rfq.id,
      { side: 'BUY', quantity: d('3'), limitPrice: d('4150') },
      randomUUID(),
    );
    expect(res.body.fills.map((f) => [f.quoteId, f.quantity, f.price])).toEqual([
      [b.id, '1', '4050'],
      [a.id, '2', '4100'],
    ]);
    expect(res.body.averagePrice).toBe(new Decimal('4050').plus(8200).div(3).toDecimalPlaces(8).toFixed());
    expect(res.body.rfqState).toBe('FILLED');
    expect((await h.ledger.run()).ok).toBe(true);
  });

  it('splits a spread net price over legs exactly and keeps each asset at zero', async () => {
    const rfq = await newRfq(
      [
        { instrument: call, side: 'BUY', ratio: d(1) },
        { instrument: call2, side: 'SELL', ratio: d(2) },
      ],
      '0.5',
    );
    const q = await quote(1, rfq.id, '-300', '-200', '0.5');
    const res = await h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'SELL' }, randomUUID());
    const fill = res.body.fills[0]!;
    const [l0, l1] = fill.legs;
    expect(d(l0!.price).minus(d(l1!.price).mul(2)).toFixed()).toBe('-300');
    expect(l0!.side).toBe('SELL');
    expect(l1!.side).toBe('BUY');
    expect(l1!.quantity).toBe('1');
    const sums = await h.pool.query(
      `SELECT asset_code, sum(amount)::text AS s FROM postings GROUP BY 1 HAVING sum(amount) <> 0`,
    );
    expect(sums.rows).toEqual([]);
  });

  it('gives exactly one fill to 1,000 concurrent accepts of one quote', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, '4000', '4100');
    const outcomes = await Promise.all(
      Array.from({ length: 1000 }, () =>
        outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID())),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    const rejections = outcomes.filter((o) => o !== 'ok');
    expect(rejections).toHaveLength(999);
    expect(new Set(rejections)).toEqual(new Set(['RFQ.NOT_OPEN']));
    const fills = await h.pool.query(`SELECT count(*)::int AS n FROM fills WHERE quote_id = $1`, [q.id]);
    expect(fills.rows[0].n).toBe(1);
  });

  it('gives one fill and 100 identical responses to 100 concurrent accepts with one idempotency key', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, '4000', '4100');
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, key),
      ),
    );
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(responses.filter((r) => !r.replayed)).toHaveLength(1);
    const fills = await h.pool.query(`SELECT count(*)::int AS n FROM fills WHERE quote_id = $1`, [q.id]);
    expect(fills.rows[0].n).toBe(1);
    // Same key, different body: refused with a clear code, nothing booked.
    expect(await outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'SELL' }, key))).toBe(
      'IDEMPOTENCY.KEY_REUSED',
    );
  });

  it('replays a stored rejection for a retried key instead of re-running it', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, '4000', '4100');
    await h.quotes.cancel(h.makers[0]!, q.id);
    const key = randomUUID();
    expect(await outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, key))).toBe(
      'QUOTE.NOT_LIVE',
    );
    const q2 = await quote(0, rfq.id, '4000', '4100');
    expect(await outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, key))).toBe(
      'QUOTE.NOT_LIVE',
    );
    expect(
      (await h.auction.accept(taker(), rfq.id, { quoteId: q2.id, side: 'BUY' }, randomUUID())).body
        .filledQuantity,
    ).toBe('1');
  });

  it('ends an accept racing the quote cancellation or expiry in exactly one outcome', async () => {
    for (let i = 0; i < 15; i++) {
      const rfq = await newRfq();
      const q = await quote(0, rfq.id, '4000', '4100');
      const [accepted, cancelled] = await Promise.all([
        outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID())),
        outcome(() => h.quotes.cancel(h.makers[0]!, q.id)),
      ]);
      expect([accepted, cancelled].filter((o) => o === 'ok')).toHaveLength(1);
      // Either way the quote ends CANCELLED: a winning accept takes its ask and fills the RFQ, which
      // cancels the untouched bid with it. What differs is whether the ask traded.
      const row = (
        await h.pool.query(
          `SELECT q.state, q.ask_filled::text, count(f.id)::int AS fills FROM quotes q LEFT JOIN fills f ON f.quote_id = q.id WHERE q.id = $1 GROUP BY q.id`,
          [q.id],
        )
      ).rows[0];
      expect(row).toEqual(
        accepted === 'ok'
          ? { state: 'CANCELLED', ask_filled: '1.00000000', fills: 1 }
          : { state: 'CANCELLED', ask_filled: '0.00000000', fills: 0 },
      );
    }
    for (let i = 0; i < 5; i++) {
      const rfq = await newRfq();
      const q = await quote(0, rfq.id, '4000', '4100', '1', null, 1);
      await new Promise((r) => setTimeout(r, Math.max(0, q.validUntil.getTime() - Date.now())));
      const [accepted] = await Promise.all([
        outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID())),
        h.quotes.expire(q.id),
      ]);
      const state = (await h.pool.query(`SELECT state FROM quotes WHERE id = $1`, [q.id])).rows[0].state;
      const fills = (await h.pool.query(`SELECT count(*)::int AS n FROM fills WHERE quote_id = $1`, [q.id]))
        .rows[0].n;
      expect(accepted).not.toBe('ok');
      expect(['EXPIRED', 'LIVE']).toContain(state);
      expect(fills).toBe(0);
    }
    expect((await h.ledger.run()).ok).toBe(true);
  });

  it('auto-executes at the end of the collection window like an execute', async () => {
    const rfq = (
      await h.rfqs.create(taker(), {
        clientRfqId: randomUUID(),
        legs: [{ instrument: put, side: 'BUY', ratio: d(1) }],
        quantity: d('2'),
        expiresInSeconds: 30,
        autoExecute: { side: 'BUY', limitPrice: d('3000'), afterSeconds: 1 },
      })
    ).rfq;
    await quote(0, rfq.id, null, '2950', '1');
    await quote(1, rfq.id, null, '2900', '1');
    const deadline = Date.now() + 10_000;
    let state = 'OPEN';
    while (Date.now() < deadline && state === 'OPEN') {
      await new Promise((r) => setTimeout(r, 200));
      state = (await h.pool.query(`SELECT state FROM rfqs WHERE id = $1`, [rfq.id])).rows[0].state;
    }
    expect(state).toBe('FILLED');
    const fills = await h.pool.query(`SELECT price::text FROM fills WHERE rfq_id = $1 ORDER BY price`, [
      rfq.id,
    ]);
    expect(fills.rows.map((r) => r.price)).toEqual(['2900.00000000', '2950.00000000']);
  });

  it('schedules expiry and auto-execution as delayed BullMQ jobs (regression: ids must not contain a colon)', async () => {
    const queue = h.app.get<Queue>(getQueueToken(QUEUES.timers));
    const rfq = (
      await h.rfqs.create(taker(), {
        clientRfqId: randomUUID(),
        legs: [{ instrument: put, side: 'BUY', ratio: d(1) }],
        quantity: d('1'),
        expiresInSeconds: 60,
        autoExecute: { side: 'BUY', limitPrice: d('3000'), afterSeconds: 30 },
      })
    ).rfq;
    const expire = await queue.getJob(`rfq.expire-${rfq.id}`);
    const auto = await queue.getJob(`rfq.auto-execute-${rfq.id}`);
    expect(await expire?.getState()).toBe('delayed');
    expect(await auto?.getState()).toBe('delayed');
    // Quotes have no timer job: the engine's sweeper expires them (next test).
    const q = await quote(0, rfq.id, null, '2900', '1');
    expect(await queue.getJob(`quote.expire-${q.id}`)).toBeUndefined();
  });

  it('expires a quote past its validity through the sweeper, and never fills it', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, null, '4100', '1', null, 1);
    await new Promise((r) => setTimeout(r, Math.max(0, q.validUntil.getTime() - Date.now()) + 5));
    expect(
      await outcome(() => h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID())),
    ).toBe('QUOTE.NOT_LIVE');
    // The engine's own sweeper may get there first; an extra sweep is harmless.
    await h.sweeper.sweep();
    const row = await h.pool.query(`SELECT state FROM quotes WHERE id = $1`, [q.id]);
    expect(row.rows[0].state).toBe('EXPIRED');
    const events = await h.pool.query(`SELECT type FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`, [
      q.id,
    ]);
    expect(events.rows.map((r) => r.type)).toEqual(['quote.created', 'quote.expired']);
  });

  it('changes nothing on bad input', async () => {
    const rfq = await newRfq();
    const q = await quote(0, rfq.id, '4000', '4100');
    const otherTakersRfq = (
      await h.rfqs.create(h.takers[1]!, {
        clientRfqId: randomUUID(),
        legs: [{ instrument: call, side: 'BUY', ratio: d(1) }],
        quantity: d(1),
        expiresInSeconds: 60,
      })
    ).rfq;
    const before = await databaseChecksum(h.pool);
    const codes = [
      await outcome(() =>
        h.rfqs.create(taker(), {
          clientRfqId: 'x1',
          legs: [{ instrument: call, side: 'BUY', ratio: d(1) }],
          quantity: d('-1'),
          expiresInSeconds: 60,
        }),
      ),
      await outcome(() =>
        h.rfqs.create(taker(), {
          clientRfqId: 'x2',
          legs: [{ instrument: call, side: 'BUY', ratio: d(1) }],
          quantity: d('0'),
          expiresInSeconds: 60,
        }),
      ),
      await outcome(() =>
        h.rfqs.create(taker(), {
          clientRfqId: 'x3',
          legs: [{ instrument: call, side: 'BUY', ratio: d(1) }],
          quantity: d('0.0000001'),
          expiresInSeconds: 60,
        }),
      ),
      await outcome(() =>
        h.rfqs.create(taker(), {
          clientRfqId: 'x4',
          legs: [{ instrument: 'BTC-NOPE', side: 'BUY', ratio: d(1) }],
          quantity: d('1'),
          expiresInSeconds: 60,
        }),
      ),
      await outcome(() =>
        h.quotes.submit(h.makers[0]!, {
          rfqId: rfq.id,
          clientQuoteId: 'y1',
          ask: { price: d('4101'), quantity: d(1) },
          validForSeconds: 10,
        }),
      ),
      await outcome(() =>
        h.quotes.submit(h.makers[0]!, {
          rfqId: rfq.id,
          clientQuoteId: 'y2',
          ask: { price: d('4100'), quantity: d('-1') },
          validForSeconds: 10,
        }),
      ),
      await outcome(() =>
        h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY', quantity: d('0.001') }, randomUUID()),
      ),
      await outcome(() =>
        h.auction.accept(taker(), rfq.id, { quoteId: q.id, side: 'BUY', quantity: d('-1') }, randomUUID()),
      ),
      await outcome(() =>
        h.auction.execute(
          taker(),
          rfq.id,
          { side: 'BUY', quantity: d('1'), limitPrice: d('4100.01') },
          randomUUID(),
        ),
      ),
      await outcome(() =>
        h.auction.accept(taker(), otherTakersRfq.id, { quoteId: q.id, side: 'BUY' }, randomUUID()),
      ),
      await outcome(() =>
        h.auction.accept(taker(), randomUUID(), { quoteId: q.id, side: 'BUY' }, randomUUID()),
      ),
    ];
    expect(codes).toEqual([
      'RFQ.INVALID_QUANTITY',
      'RFQ.INVALID_QUANTITY',
      'RFQ.INVALID_QUANTITY',
      'RFQ.UNKNOWN_INSTRUMENT',
      'VALIDATION.TICK',
      'QUOTE.INVALID_QUANTITY',
      'VALIDATION.LOT',
      'VALIDATION.LOT',
      'VALIDATION.TICK',
      'RFQ.NOT_FOUND',
      'RFQ.NOT_FOUND',
    ]);
    expect(await databaseChecksum(h.pool)).toEqual(before);
    // A wrong side is a business rejection: stored under its key (the retry gets the same answer), nothing booked.
    const fillsBefore = (await h.pool.query(`SELECT count(*)::int AS n FROM fills`)).rows[0].n;
    const bidOnly = await quote(1, rfq.id, '4000', null);
    expect(
      await outcome(() =>
        h.auction.accept(taker(), rfq.id, { quoteId: bidOnly.id, side: 'BUY' }, randomUUID()),
      ),
    ).toBe('QUOTE.WRONG_SIDE');
    expect((await h.pool.query(`SELECT count(*)::int AS n FROM fills`)).rows[0].n).toBe(fillsBefore);
  });

  it('relays every outbox event and keeps the ledger and audit chain clean', async () => {
    await h.relay.drain();
    const pending = await h.pool.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`,
    );
    expect(pending.rows[0].n).toBe(0);
    const report = await h.ledger.run();
    expect(report.problems).toEqual([]);
    expect(report.counts.fills).toBeGreaterThan(5);
    const chain = await h.audit.verify();
    expect(chain.ok).toBe(true);
  });
});
