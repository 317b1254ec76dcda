import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RfqClient, RfqSocket } from '@app/sdk';
import { randomUUID } from 'node:crypto';
import { Platform, startPlatform } from './support/platform.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/**
 * The whole platform as deployed (gateway, engine with market data, quoter with the built-in
 * makers), driven through HTTP and WebSocket only: an RFQ reaches two built-in makers and one
 * external maker, quotes stream back, the taker accepts, both sides get the fill on their sockets,
 * and the maker's next quote reflects its new inventory.
 */
describe('built-in and external makers, end to end', () => {
  let env: TestEnv;
  let platform: Platform;
  let taker: RfqClient;
  let external: RfqClient;
  let builtIn: RfqClient;
  let admin: RfqClient;
  const sockets: RfqSocket[] = [];
  let call: string;

  beforeAll(async () => {
    env = await createTestEnv('builtin');
    platform = await startPlatform(env, { quoter: true, extraEnv: { MARKET_DATA_INTERVAL_MS: '100' } });
    taker = platform.client('taker-alpha');
    external = platform.client('maker-foxtrot');
    builtIn = platform.client('maker-delta');
    admin = platform.client('admin');
    const all = (await taker.instruments()).data.filter(
      (i) => i.kind === 'OPTION' && i.name.startsWith('BTC-') && i.name.endsWith('-100000-C'),
    );
    call = all[1]?.name ?? all[0]!.name; // a monthly expiry: a visible vega, no expiry inside the test
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await platform.stop();
    await env.drop();
  });

  const connect = async (client: RfqClient) => {
    const s = await client.connect({ channels: ['rfqs', 'quotes', 'trades'] });
    sockets.push(s);
    return s;
  };

  /** The external maker answers every RFQ routed to it from its socket, a little wide of the mark. */
  const runExternalMaker = (socket: RfqSocket) =>
    socket.onNotification((n) => {
      if (n.channel !== 'rfqs' || n.data.event !== 'rfq.created') return;
      void (async () => {
        const legs = n.data.legs as Array<{ instrument: string }>;
        const mark = Number((await external.instrument(legs[0]!.instrument)).markPrice);
        const tick = 5;
        const bid = Math.floor((mark * 0.97) / tick) * tick;
        const ask = Math.ceil((mark * 1.03) / tick) * tick;
        await socket.call('quote.submit', {
          rfqId: n.data.id,
          clientQuoteId: randomUUID(),
          bid: { price: String(bid), quantity: String(n.data.quantity) },
          ask: { price: String(ask), quantity: String(n.data.quantity) },
          validForSeconds: 30,
        });
      })().catch(() => undefined);
    });

  const quotesOf = async (rfqId: string, count: number) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const view = await taker.rfq(rfqId);
      if (view.quotes.length >= count || Date.now() > deadline) return view;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('quotes from two built-in makers and one external maker; accept; fills on both sockets; the maker skews its next quote', async () => {
    // The maker keeps its delta for this test (no automatic hedge), so the skew shows in full.
    const strategy = await builtIn.updateStrategy({ hedgeEnabled: false });
    expect(strategy.hedgeEnabled).toBe(false);
    const takerWs = await connect(taker);
    const builtInWs = await connect(builtIn);
    runExternalMaker(await connect(external));

    const rfq = await taker.createRfq({
      legs: [{ instrument: call, side: 'BUY' }],
      quantity: '10',
      expiresInSeconds: 60,
    });
    const view = await quotesOf(rfq.id, 3);
    expect(view.quotes).toHaveLength(3);
    // The REST view can be complete a moment before the last pushes reach the socket (pub/sub).
    const pushed = () =>
      takerWs.received.filter(
        (n) => n.channel === 'quotes' && n.data.rfqId === rfq.id && n.data.event === 'quote.created',
      ).length;
    for (const deadline = Date.now() + 5_000; pushed() < 3 && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 25));
    expect(pushed()).toBeGreaterThanOrEqual(3);
    const makers = await admin.admin<{ data: Array<{ id: string; makerId: string; rfqId: string }> }>(
      `quotes?limit=50`,
    );
    const byMaker = makers.data.filter((q) => q.rfqId === rfq.id);
    expect(new Set(byMaker.map((q) => q.makerId)).size).toBe(3);

    const mine = (
      await builtIn.request<{ data: Array<{ id: string; ask: { price: string } | null }> }>(
        'GET',
        `/v1/quotes?rfqId=${rfq.id}`,
      )
    ).body.data[0]!;
    const markBefore = Number((await taker.instrument(call)).markPrice);
    const edgeBefore = Number(mine.ask!.price) - markBefore;
    const execution = await taker.accept(rfq.id, { quoteId: mine.id, side: 'BUY' });
    const fillId = execution.fills[0]!.id;
    await takerWs.waitFor((n) => n.channel === 'trades' && n.data.id === fillId);
    await builtInWs.waitFor((n) => n.channel === 'trades' && n.data.id === fillId);

    expect((await taker.positions()).data.find((p) => p.instrument === call)?.quantity).toBe('10');
    expect((await builtIn.positions()).data.find((p) => p.instrument === call)?.quantity).toBe('-10');
    const adminTrades = await admin.admin(`trades?account=maker-delta`);
    expect(adminTrades.data.map((t) => t.id)).toContain(fillId);

    // Short ten calls, the maker now wants to buy them back: its ask sits further above the mark.
    const next = await taker.createRfq({
      legs: [{ instrument: call, side: 'BUY' }],
      quantity: '10',
      expiresInSeconds: 60,
    });
    await quotesOf(next.id, 3);
    const requoted = (
      await builtIn.request<{ data: Array<{ ask: { price: string } | null }> }>(
        'GET',
        `/v1/quotes?rfqId=${next.id}`,
      )
    ).body.data[0]!;
    const markAfter = Number((await taker.instrument(call)).markPrice);
    const edgeAfter = Number(requoted.ask!.price) - markAfter;
    expect(edgeAfter).toBeGreaterThan(edgeBefore);

    const risk = await builtIn.risk();
    expect(JSON.stringify(risk)).toContain('BTC');
  });
});
