import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiError, RfqClient, RfqSocket, signRequest } from '@app/sdk';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { databaseChecksum } from './support/engine-harness.js';
import { Platform, startPlatform } from './support/platform.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/** The public API end to end: HTTP and WebSocket only, as a client would use it. */
describe('gateway (REST + WebSocket)', () => {
  let env: TestEnv;
  let platform: Platform;
  let db: pg.Pool;
  let taker: RfqClient;
  let otherTaker: RfqClient;
  let maker: RfqClient;
  let otherMaker: RfqClient;
  let admin: RfqClient;
  let call: string;
  const sockets: RfqSocket[] = [];

  beforeAll(async () => {
    env = await createTestEnv('gateway');
    platform = await startPlatform(env, {
      extraEnv: { WS_HEARTBEAT_MS: '1000', RATE_LIMIT_PER_SECOND: '200', RATE_LIMIT_BURST: '400' },
    });
    db = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
    taker = platform.client('taker-alpha');
    otherTaker = platform.client('taker-bravo');
    maker = platform.client('maker-foxtrot');
    otherMaker = platform.client('maker-echo');
    admin = platform.client('admin');
    const instruments = await taker.instruments();
    call = instruments.data.find(
      (i) => i.kind === 'OPTION' && i.name.startsWith('BTC-') && i.name.endsWith('-100000-C'),
    )!.name;
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await platform.stop();
    await db.end();
    await env.drop();
  });

  const errorOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return null;
    } catch (e) {
      if (e instanceof ApiError) return { status: e.status, code: e.code, body: e.body };
      throw e;
    }
  };
  const connect = async (client: RfqClient) => {
    const s = await client.connect({ channels: ['rfqs', 'quotes', 'trades'] });
    sockets.push(s);
    return s;
  };
  const rfqInput = (extra = {}) => ({
    legs: [{ instrument: call, side: 'BUY' as const }],
    quantity: '1',
    expiresInSeconds: 60,
    ...extra,
  });

  it('runs the whole flow: RFQ to the maker, quote back live, accept, fill on both sockets, positions, admin view', async () => {
    const takerWs = await connect(taker);
    const makerWs = await connect(maker);
    const rfq = await taker.createRfq(rfqInput());
    expect(rfq.state).toBe('OPEN');

    const seen = await makerWs.waitFor((n) => n.channel === 'rfqs' && n.data.id === rfq.id);
    expect(seen.data.event).toBe('rfq.created');
    expect(seen.data.takerId).toBeUndefined(); // not disclosed

    const quote = await makerWs.call<{ id: string; state: string }>('quote.submit', {
      rfqId: rfq.id,
      clientQuoteId: randomUUID(),
      bid: { price: '3900', quantity: '1' },
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    expect(quote.state).toBe('LIVE');
    const quoteSeen = await takerWs.waitFor((n) => n.channel === 'quotes' && n.data.id === quote.id);
    expect(quoteSeen.data.makerId).toBeUndefined(); // quotes are anonymous before the trade

    const view = await taker.rfq(rfq.id);
    expect(view.bestAsk).toEqual({ quoteId: quote.id, price: '4100', quantity: '1' });
    expect(view.bestBid).toEqual({ quoteId: quote.id, price: '3900', quantity: '1' });

    const key = randomUUID();
    const execution = await taker.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }, key);
    expect(execution.filledQuantity).toBe('1');
    expect(execution.fills[0]!.price).toBe('4100');
    const fillId = execution.fills[0]!.id;
    await takerWs.waitFor((n) => n.channel === 'trades' && n.data.id === fillId);
    await makerWs.waitFor((n) => n.channel === 'trades' && n.data.id === fillId);

    // A retry with the same key gets the original result, flagged as a replay.
    const replay = await taker.request<typeof execution>(
      'POST',
      `/v1/rfqs/${rfq.id}/accept`,
      { quoteId: quote.id, side: 'BUY' },
      { 'idempotency-key': key },
    );
    expect(replay.body).toEqual(execution);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const positions = await taker.positions();
    expect(positions.data.find((p) => p.instrument === call)?.quantity).toBe('1');
    expect((await maker.positions()).data.find((p) => p.instrument === call)?.quantity).toBe('-1');
    const adminTrades = await admin.admin(`trades?account=taker-alpha&instrument=${call}`);
    expect(adminTrades.data.map((t) => t.id)).toContain(fillId);
    expect((await admin.admin<{ ok: boolean }>('ledger/check')).ok).toBe(true);

    // Every confirmation was delivered to a socket.
    const pending = await db.query(
      `SELECT count(*)::int AS n FROM trade_confirmations WHERE fill_id = $1 AND state = 'PENDING'`,
      [fillId],
    );
    expect(pending.rows[0].n).toBe(0);
  });

  it('refuses bad signatures, stale timestamps, replays, flipped bytes, unknown and revoked keys with 401', async () => {
    const k = platform.keys.get('taker-alpha')!;
    const url = `${platform.baseUrl}/v1/rfqs`;
    const body = JSON.stringify({ clientRfqId: randomUUID(), ...rfqInput() });
    const send = async (headers: Record<string, string>, payload = body) => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
      return { status: r.status, body: (await r.json()) as { error: { code: string } } };
    };
    const signed = (ts = String(Date.now()), secret = k.secret, payload = body) => ({
      'x-api-key': k.keyId,
      'x-api-timestamp': ts,
      'x-api-signature': signRequest(secret, ts, 'POST', '/v1/rfqs', payload),
    });

    expect((await send({})).body.error.code).toBe('AUTH.MISSING');
    expect((await send(signed(String(Date.now() - 60_000)))).body.error.code).toBe('AUTH.STALE_TIMESTAMP');
    expect((await send(signed(undefined, 'wrong-secret'))).body.error.code).toBe('AUTH.BAD_SIGNATURE');
    const flipped = body.replace('"1"', '"2"');
    expect((await send(signed(), flipped)).body.error.code).toBe('AUTH.BAD_SIGNATURE');
    const once = signed();
    expect((await send(once)).status).toBe(201);
    const again = await send(once);
    expect([again.status, again.body.error.code]).toEqual([401, 'AUTH.REPLAYED']);
    expect((await send({ ...signed(), 'x-api-key': 'ak_doesnotexist' })).body.error.code).toBe(
      'AUTH.UNKNOWN_KEY',
    );

    const charlie = platform.keys.get('taker-charlie')!;
    await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [charlie.keyId]);
    const revoked = await errorOf(platform.client('taker-charlie').rfqs());
    expect(revoked).toMatchObject({ status: 401, code: 'AUTH.REVOKED_KEY' });
    await expect(platform.client('taker-charlie').connect()).rejects.toThrow(/AUTH.REVOKED_KEY/);
  });

  it('isolates tenants: foreign ids are 404 exactly like missing ones, on every route and channel', async () => {
    const takerWs = await connect(otherTaker);
    const outsiderWs = await connect(maker);
    const rfq = await taker.createRfq(rfqInput({ makers: ['maker-echo'] }));
    const quote = await otherMaker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    const execution = await taker.accept(rfq.id, { quoteId: quote.id, side: 'BUY' });
    const missing = randomUUID();

    for (const [attempt, missingAttempt] of [
      [otherTaker.rfq(rfq.id), otherTaker.rfq(missing)],
      [
        otherTaker.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }),
        otherTaker.accept(missing, { quoteId: quote.id, side: 'BUY' }),
      ],
      [otherTaker.cancelRfq(rfq.id), otherTaker.cancelRfq(missing)],
      [otherTaker.trade(execution.fills[0]!.id), otherTaker.trade(missing)],
      [maker.rfq(rfq.id), maker.rfq(missing)], // a maker the RFQ was not routed to
      [
        maker.submitQuote({ rfqId: rfq.id, ask: { price: '4100', quantity: '1' }, validForSeconds: 30 }),
        maker.submitQuote({ rfqId: missing, ask: { price: '4100', quantity: '1' }, validForSeconds: 30 }),
      ],
      [maker.cancelQuote(quote.id), maker.cancelQuote(missing)],
    ] as const) {
      const [a, b] = [await errorOf(attempt), await errorOf(missingAttempt)];
      expect(a?.status).toBe(404);
      expect(b?.status).toBe(404);
      expect(a?.code).toBe(b?.code);
    }
    expect((await otherTaker.rfqs()).data.map((r) => r.id)).not.toContain(rfq.id);
    expect((await maker.makerRfqs()).data.map((r) => r.id)).not.toContain(rfq.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(outsiderWs.received.filter((n) => n.data.id === rfq.id || n.data.rfqId === rfq.id)).toEqual([]);
    expect(takerWs.received.filter((n) => n.data.id === rfq.id || n.data.rfqId === rfq.id)).toEqual([]);
    // Taker and maker scopes: an admin route is 403 for a trader.
    expect(await errorOf(taker.admin('trades'))).toMatchObject({ status: 403 });
  });

  it('rejects malformed input with 400 and the error shape, and changes nothing', async () => {
    const before = await databaseChecksum(db);
    const bad: unknown[] = [
      { ...rfqInput(), clientRfqId: 'a', quantity: 'abc' },
      { ...rfqInput(), clientRfqId: 'b', quantity: '1.123456789' },
      { ...rfqInput(), clientRfqId: 'c', quantity: 1 },
      { ...rfqInput(), clientRfqId: 'd', quantity: '-1' },
      { ...rfqInput(), clientRfqId: 'e', quantity: '0' },
      { ...rfqInput(), clientRfqId: 'f', surprise: true },
      { ...rfqInput(), clientRfqId: 'g', legs: [] },
      { ...rfqInput(), clientRfqId: "h'; DROP TABLE rfqs; --" },
      { ...rfqInput(), clientRfqId: 'i', legs: [{ instrument: 'BTC-NOPE', side: 'BUY' }] },
      { ...rfqInput(), clientRfqId: 'j', legs: [{ instrument: call, side: 'HOLD' }] },
    ];
    for (const body of bad) {
      const e = await errorOf(taker.request('POST', '/v1/rfqs', body));
      expect(e?.status).toBe(400);
      expect(e?.body.error).toEqual(
        expect.objectContaining({
          code: expect.any(String),
          message: expect.any(String),
          details: expect.any(Array),
          correlationId: expect.any(String),
        }),
      );
    }
    const rfq = (await taker.rfqs()).data[0]!;
    expect(
      await errorOf(
        taker.request('POST', `/v1/rfqs/${rfq.id}/accept`, { quoteId: randomUUID(), side: 'BUY' }),
      ),
    ).toMatchObject({ status: 400, code: 'IDEMPOTENCY.KEY_REQUIRED' });
    const huge = {
      ...rfqInput(),
      clientRfqId: 'big',
      makers: Array.from({ length: 5000 }, () => 'x'.repeat(20)),
    };
    expect(await errorOf(taker.request('POST', '/v1/rfqs', huge))).toMatchObject({ status: 413 });
    expect(await databaseChecksum(db)).toEqual(before);
  });

  it('cancels a maker’s live quotes when its socket drops, within the heartbeat interval', async () => {
    const rfq = await taker.createRfq(rfqInput());
    const ws = await maker.connect();
    const quote = await ws.call<{ id: string }>('quote.submit', {
      rfqId: rfq.id,
      clientQuoteId: randomUUID(),
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 60,
    });
    ws.terminate();
    const deadline = Date.now() + 3_000;
    let state = 'LIVE';
    while (state === 'LIVE' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await db.query(`SELECT state FROM quotes WHERE id = $1`, [quote.id])).rows[0].state;
    }
    expect(state).toBe('CANCELLED');
  });

  it('fans out across gateway instances: a taker on one sees the quote a maker sent to the other', async () => {
    const second = await platform.startGateway({ WS_HEARTBEAT_MS: '1000' });
    const takerWs = await connect(taker);
    const makerOnSecond = platform.client('maker-foxtrot', second.baseUrl);
    const rfq = await taker.createRfq(rfqInput());
    const quote = await makerOnSecond.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4150', quantity: '1' },
      validForSeconds: 30,
    });
    const n = await takerWs.waitFor((x) => x.channel === 'quotes' && x.data.id === quote.id);
    expect(n.data.event).toBe('quote.created');
  });

  it('rate-limits per key with 429 and Retry-After, shared through Redis', async () => {
    const strict = await platform.startGateway({ RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '5' });
    const limitedAdmin = platform.client('maker-delta', strict.baseUrl);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 40 }, () => errorOf(limitedAdmin.strategy())));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const limited = results.filter((r) => r?.status === 429);
    // At most the burst plus what refilled while the requests ran got through.
    expect(40 - limited.length).toBeLessThanOrEqual(5 + Math.ceil(2 * elapsedSeconds) + 1);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.code).toBe('RATE_LIMITED');
    const k = platform.keys.get('maker-delta')!;
    const ts = String(Date.now());
    const r = await fetch(`${strict.baseUrl}/v1/maker/strategy`, {
      headers: {
        'x-api-key': k.keyId,
        'x-api-timestamp': ts,
        'x-api-signature': signRequest(k.secret, ts, 'GET', '/v1/maker/strategy', ''),
      },
    });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('serves OpenAPI at /docs-json with every public route', async () => {
    const doc = (await (await fetch(`${platform.baseUrl}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      '/v1/rfqs',
      '/v1/rfqs/{id}/accept',
      '/v1/rfqs/{id}/execute',
      '/v1/quotes',
      '/v1/quotes/{id}',
      '/v1/maker/strategy',
      '/v1/trades',
      '/v1/positions',
      '/v1/admin/trades',
      '/health',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('kill switches: frozen underlying, account and platform refuse RFQs, quotes and fills with a clear code', async () => {
    const freeze = (body: Record<string, unknown>) =>
      admin.request('POST', '/v1/admin/controls/freeze', body);
    const unfreeze = (body: Record<string, unknown>) =>
      admin.request('POST', '/v1/admin/controls/unfreeze', body);

    await freeze({ scope: 'UNDERLYING', target: 'BTC', reason: 'drill' });
    expect(await errorOf(taker.createRfq(rfqInput()))).toMatchObject({
      status: 409,
      code: 'CONTROL.FROZEN_UNDERLYING',
    });
    await unfreeze({ scope: 'UNDERLYING', target: 'BTC' });
    const rfq = await taker.createRfq(rfqInput());

    const quote = await maker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    await freeze({ scope: 'ACCOUNT', target: 'maker-foxtrot', reason: 'runaway maker' });
    expect((await db.query(`SELECT state FROM quotes WHERE id = $1`, [quote.id])).rows[0].state).toBe(
      'CANCELLED',
    );
    expect(
      await errorOf(
        maker.submitQuote({ rfqId: rfq.id, ask: { price: '4100', quantity: '1' }, validForSeconds: 30 }),
      ),
    ).toMatchObject({ status: 409, code: 'CONTROL.FROZEN_ACCOUNT' });
    await unfreeze({ scope: 'ACCOUNT', target: 'maker-foxtrot' });

    const live = await maker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    await freeze({ scope: 'PLATFORM', reason: 'halt' });
    expect(await errorOf(taker.accept(rfq.id, { quoteId: live.id, side: 'BUY' }))).toMatchObject({
      status: 409,
      code: 'CONTROL.FROZEN_PLATFORM',
    });
    await unfreeze({ scope: 'PLATFORM' });
    expect((await taker.accept(rfq.id, { quoteId: live.id, side: 'BUY' })).filledQuantity).toBe('1');

    const audit = await admin.admin<{
      data: Array<{ action: string; before: unknown; after: { frozen: boolean } }>;
    }>('audit?entityType=control&limit=20');
    expect(audit.data.map((a) => a.action)).toEqual(
      expect.arrayContaining(['control.frozen', 'control.unfrozen']),
    );
    expect(audit.data.find((a) => a.action === 'control.unfrozen')?.before).toMatchObject({ frozen: true });
  });

  it('refuses a fill beyond the taker credit limit with 422 naming the limit, booking nothing', async () => {
    const bravo = await db.query(
      `UPDATE accounts SET credit_limit_premium = 1000 WHERE name = 'taker-bravo' RETURNING id`,
    );
    const rfq = await otherTaker.createRfq(rfqInput());
    const quote = await maker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    const e = await errorOf(otherTaker.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }));
    expect(e).toMatchObject({ status: 422, code: 'RISK.CREDIT_LIMIT_PREMIUM' });
    expect(JSON.stringify(e?.body.error.details)).toContain('creditLimitPremium');
    expect(
      (await db.query(`SELECT count(*)::int AS n FROM fills WHERE taker_id = $1`, [bravo.rows[0].id])).rows[0]
        .n,
    ).toBe(0);
  });

  it('tells the full story of a trade to an admin', async () => {
    const rfq = await taker.createRfq(rfqInput());
    await otherMaker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4200', quantity: '1' },
      validForSeconds: 30,
    });
    const winner = await maker.submitQuote({
      rfqId: rfq.id,
      ask: { price: '4150', quantity: '1' },
      validForSeconds: 30,
    });
    const execution = await taker.execute(rfq.id, { side: 'BUY', quantity: '1', limitPrice: '4300' });
    const story = await admin.admin<{
      quotes: Array<{ id: string; won: boolean }>;
      decision: { allocations: unknown };
      ledger: Array<{ postings: unknown[] }>;
      confirmations: unknown[];
    }>(`trades/${execution.fills[0]!.id}/story`);
    expect(story.quotes).toHaveLength(2);
    expect(story.quotes.find((q) => q.won)?.id).toBe(winner.id);
    expect(story.decision.allocations).toEqual([{ quoteId: winner.id, quantity: '1', price: '4150' }]);
    expect(story.ledger[0]!.postings.length).toBeGreaterThanOrEqual(4);
    expect(story.confirmations).toHaveLength(2);
    expect(await errorOf(taker.admin(`trades/${execution.fills[0]!.id}/story`))).toMatchObject({
      status: 403,
    });
  });

  it('market maker protection pulls the maker’s quotes and freezes it, telling it on its socket', async () => {
    const echo = (await db.query(`SELECT id FROM accounts WHERE name = 'maker-echo'`)).rows[0].id as string;
    await db.query(
      `INSERT INTO maker_protections (maker_id, underlying, interval_seconds, max_fills, freeze_seconds) VALUES ($1, '*', 30, 1, 60)`,
      [echo],
    );
    const ws = await connect(otherMaker);
    const rfqs = [
      await taker.createRfq(rfqInput()),
      await taker.createRfq(rfqInput()),
      await taker.createRfq(rfqInput()),
    ];
    const quotes = [];
    for (const r of rfqs)
      quotes.push(
        await otherMaker.submitQuote({
          rfqId: r.id,
          ask: { price: '4100', quantity: '1' },
          validForSeconds: 60,
        }),
      );
    await taker.accept(rfqs[0]!.id, { quoteId: quotes[0]!.id, side: 'BUY' });
    await taker.accept(rfqs[1]!.id, { quoteId: quotes[1]!.id, side: 'BUY' });
    const told = await ws.waitFor((n) => n.data.event === 'control.changed', 10_000);
    expect(String(told.data.reason)).toMatch(/market maker protection: fills 2 over 1/);
    // The freeze commits first (nothing can fill from then on), the quotes are pulled right after.
    let state = 'LIVE';
    for (let i = 0; i < 50 && state === 'LIVE'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await db.query(`SELECT state FROM quotes WHERE id = $1`, [quotes[2]!.id])).rows[0].state;
    }
    expect(state).toBe('CANCELLED');
    expect(
      await errorOf(
        otherMaker.submitQuote({
          rfqId: rfqs[2]!.id,
          ask: { price: '4100', quantity: '1' },
          validForSeconds: 60,
        }),
      ),
    ).toMatchObject({ status: 409, code: 'CONTROL.FROZEN_ACCOUNT' });
    await admin.request('POST', '/v1/admin/controls/unfreeze', { scope: 'ACCOUNT', target: 'maker-echo' });
    await db.query(`DELETE FROM maker_protections WHERE maker_id = $1`, [echo]);
  });

  it('serves maker scorecards and taker execution quality', async () => {
    const card = await otherMaker.request<{
      data: Array<{
        maker: string;
        rfqs_routed: number;
        rfqs_quoted: number;
        fills: number;
        response_rate: number;
      }>;
    }>('GET', '/v1/analytics/scorecard');
    expect(card.body.data).toHaveLength(1);
    expect(card.body.data[0]!.maker).toBe('maker-echo');
    expect(card.body.data[0]!.fills).toBeGreaterThanOrEqual(2);
    expect(card.body.data[0]!.rfqs_quoted).toBeGreaterThanOrEqual(3);
    const quality = await taker.request<{
      data: Array<{ trade_id: string; best_quote: string | null; price: string }>;
    }>('GET', '/v1/analytics/execution-quality');
    expect(quality.body.data.length).toBeGreaterThan(0);
    expect(quality.body.data.every((t) => t.best_quote !== null)).toBe(true);
    const all = await admin.request<{ data: unknown[] }>('GET', '/v1/admin/analytics/scorecards');
    expect(all.body.data).toHaveLength(3);
  });

  it('keeps the audit log append-only and detects tampering by the database owner', async () => {
    const verify = () =>
      admin.admin<{ ok: boolean; records: number; firstBreak: { seq: string; reason: string } | null }>(
        'audit/verify',
      );
    const clean = await verify();
    expect(clean.ok).toBe(true);
    expect(clean.records).toBeGreaterThan(10);
    await expect(
      db.query(`UPDATE audit_log SET action = 'forged' WHERE seq = (SELECT min(seq) + 5 FROM audit_log)`),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.query(`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`),
    ).rejects.toThrow(/append-only/);
    const target = (await db.query(`SELECT (min(seq) + 5)::text AS seq FROM audit_log`)).rows[0]
      .seq as string;
    await db.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete`);
    await db.query(`UPDATE audit_log SET after = '{"forged": true}' WHERE seq = $1`, [target]);
    await db.query(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete`);
    const broken = await verify();
    expect(broken.ok).toBe(false);
    expect(broken.firstBreak?.seq).toBe(target);
    expect(broken.firstBreak?.reason).toMatch(/edited/);
  });
});
