import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@app/core';
import { redisOptions } from '@app/db';
import { ApiError, RfqClient, RfqSocket } from '@app/sdk';
import { Queue, QueueEvents } from 'bullmq';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SeededKey } from './support/platform.js';
import { freePort, RunningProcess, startProcess } from './support/processes.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/**
 * Two gateways, two engines and two quoters as separate processes on one PostgreSQL and one Redis,
 * under a load of external takers and an external maker (SDK): every RFQ is announced once and
 * expires once, every fill is booked once (even when two gateways race to accept one quote), and
 * every confirmation reaches the sockets that were connected, once.
 */
describe('scale-out (2 gateways, 2 engines, 2 quoters)', () => {
  let env: TestEnv;
  let db: pg.Pool;
  let gateways: string[];
  let keys: Map<string, SeededKey>;
  const processes: RunningProcess[] = [];
  let call: string;
  const sockets: RfqSocket[] = [];
  const queueEvents: QueueEvents[] = [];
  const stalled: string[] = [];
  const extraEnv = { RATE_LIMIT_PER_SECOND: '5000', RATE_LIMIT_BURST: '10000', WS_HEARTBEAT_MS: '2000' };

  const client = (account: string, baseUrl: string) => {
    const k = keys.get(account)!;
    return new RfqClient(baseUrl, { apiKey: k.keyId, secret: k.secret });
  };

  beforeAll(async () => {
    env = await createTestEnv('scaleout');
    const keysFile = join(tmpdir(), `${env.name}-keys.json`);
    execFileSync(process.execPath, ['dist/scripts/seed.js', '--quiet', '--keys-file', keysFile], {
      env: { ...process.env, ...env.overrides },
    });
    keys = new Map((JSON.parse(readFileSync(keysFile, 'utf8')) as SeededKey[]).map((k) => [k.account, k]));
    rmSync(keysFile);
    // All six processes start at once, as an orchestrator would start them.
    const appEnv = { ...env.overrides, ...extraEnv, LOG_LEVEL: 'info' };
    const ports = [await freePort(), await freePort()];
    const started = await Promise.allSettled([
      startProcess('dist/apps/engine/src/main.js', appEnv, /engine running/, 45_000),
      startProcess('dist/apps/engine/src/main.js', appEnv, /engine running/, 45_000),
      startProcess('dist/apps/quoter/src/main.js', appEnv, /quoter running/, 45_000),
      startProcess('dist/apps/quoter/src/main.js', appEnv, /quoter running/, 45_000),
      ...ports.map((port) =>
        startProcess(
          'dist/apps/gateway/src/main.js',
          { ...appEnv, PORT: String(port) },
          /listening on/,
          45_000,
        ),
      ),
    ]);
    for (const r of started) if (r.status === 'fulfilled') processes.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed?.status === 'rejected') throw failed.reason;
    gateways = ports.map((port) => `http://127.0.0.1:${port}`);
    db = new pg.Pool({ connectionString: env.databaseUrl, max: 3 });
    for (const name of Object.values(QUEUES)) {
      const events = new QueueEvents(name, {
        connection: redisOptions(env.redisUrl),
        prefix: env.queuePrefix,
      });
      events.on('stalled', ({ jobId }) => stalled.push(`${name}:${jobId}`));
      await events.waitUntilReady();
      queueEvents.push(events);
    }
    call = (await client('taker-alpha', gateways[0]!).instruments()).data.find(
      (i) => i.kind === 'OPTION' && i.name.endsWith('-100000-C'),
    )!.name;
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(queueEvents.map((q) => q.close()));
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    await db?.end();
    await env?.drop();
  });

  const until = async <T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const connect = async (client: RfqClient) => {
    const s = await client.connect({ channels: ['rfqs', 'trades'] });
    sockets.push(s);
    return s;
  };

  it('handles every RFQ, expiry, fill and confirmation exactly once', async () => {
    expect(processes).toHaveLength(6);
    const [g1, g2] = gateways as [string, string];
    // Sockets spread over both gateways; the maker's socket is on the other one than most takers.
    const alphaWs = await connect(client('taker-alpha', g1));
    const bravoWs = await connect(client('taker-bravo', g2));
    const makerWs = await connect(client('maker-foxtrot', g2));
    const takerWs: Record<string, RfqSocket> = { 'taker-alpha': alphaWs, 'taker-bravo': bravoWs };

    type Kind = 'expire' | 'race' | 'accept';
    const plan: Array<{ kind: Kind; taker: string; rfqId?: string; fills: string[]; accepted: number }> = [];
    const N = 36;
    for (let i = 0; i < N; i++) {
      plan.push({
        kind: i % 4 === 0 ? 'expire' : i % 4 === 1 ? 'race' : 'accept',
        taker: i % 2 === 0 ? 'taker-alpha' : 'taker-bravo',
        fills: [],
        accepted: 0,
      });
    }
    const run = async (item: (typeof plan)[number], i: number) => {
      const home = gateways[i % 2]!;
      const away = gateways[(i + 1) % 2]!;
      const taker = client(item.taker, home);
      const rfq = await taker.createRfq({
        legs: [{ instrument: call, side: 'BUY' }],
        quantity: '1',
        expiresInSeconds: item.kind === 'expire' ? 5 : 60,
      });
      item.rfqId = rfq.id;
      if (item.kind === 'expire') return;
      // The maker answers through the other gateway.
      const quote = await client('maker-foxtrot', away).submitQuote({
        rfqId: rfq.id,
        ask: { price: '4100', quantity: '1' },
        validForSeconds: 60,
      });
      const accept = (base: string) =>
        client(item.taker, base)
          .accept(rfq.id, { quoteId: quote.id, side: 'BUY' })
          .then((execution) => {
            item.accepted++;
            item.fills.push(...execution.fills.map((f) => f.id));
          })
          .catch((error: unknown) => {
            if (!(error instanceof ApiError) || error.status >= 500) throw error;
          });
      // A race: both gateways accept the same quote at once, with different idempotency keys.
      await Promise.all(item.kind === 'race' ? [accept(home), accept(away)] : [accept(home)]);
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < plan.length) {
          const i = next++;
          await run(plan[i]!, i);
        }
      }),
    );
    const traded = plan.filter((p) => p.kind !== 'expire');
    const expiring = plan.filter((p) => p.kind === 'expire');
    const rfqIds = plan.map((p) => p.rfqId!);

    // Each quote had quantity 1: exactly one accept books, whichever gateway got it.
    for (const p of traded) {
      expect([p.rfqId, p.accepted, p.fills.length]).toEqual([p.rfqId, 1, 1]);
    }

    // Expiry happens once, by whichever engine's timer (or sweeper) gets there first.
    await until(async () => {
      const r = await db.query(
        `SELECT count(*)::int AS n FROM rfqs WHERE id = ANY($1::uuid[]) AND state = 'EXPIRED'`,
        [expiring.map((p) => p.rfqId)],
      );
      return r.rows[0].n === expiring.length;
    });

    // Settle: everything relayed, every queue drained by its consumers, nothing stalled.
    const queues = Object.values(QUEUES).map(
      (name) => new Queue(name, { connection: redisOptions(env.redisUrl), prefix: env.queuePrefix }),
    );
    try {
      await until(async () => {
        const pending = await db.query(
          `SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`,
        );
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('active', 'waiting')));
        return pending.rows[0].n === 0 && counts.every((c) => c.active === 0 && c.waiting === 0);
      }, 20_000);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
    expect(stalled).toEqual([]);

    const events = await db.query<{ type: string; aggregate_id: string; n: number }>(
      `SELECT type, aggregate_id, count(*)::int AS n FROM outbox_events
        WHERE aggregate_id = ANY($1::text[]) AND type IN ('rfq.created', 'rfq.expired') GROUP BY 1, 2`,
      [rfqIds],
    );
    const byType = (type: string) => events.rows.filter((e) => e.type === type);
    expect(byType('rfq.created')).toHaveLength(N);
    expect(byType('rfq.created').every((e) => e.n === 1)).toBe(true);
    expect(
      byType('rfq.expired')
        .map((e) => e.aggregate_id)
        .sort(),
    ).toEqual(expiring.map((p) => p.rfqId).sort());
    expect(byType('rfq.expired').every((e) => e.n === 1)).toBe(true);

    // The maker's socket heard of each RFQ once, although two engines relay and two gateways fan out.
    await until(async () => rfqIds.every((id) => makerWs.received.some((n) => n.data.id === id)));
    for (const id of rfqIds) {
      expect(makerWs.received.filter((n) => n.data.id === id && n.data.event === 'rfq.created')).toHaveLength(
        1,
      );
    }

    // Every fill booked once; the ledger balances.
    const fills = await db.query<{ id: string }>(`SELECT id FROM fills WHERE rfq_id = ANY($1::uuid[])`, [
      rfqIds,
    ]);
    expect(fills.rows.map((r) => r.id).sort()).toEqual(traded.flatMap((p) => p.fills).sort());
    expect((await client('admin', g2).admin<{ ok: boolean }>('ledger/check')).ok).toBe(true);

    // Every confirmation delivered, once, to the taker and the maker sockets.
    const fillIds = traded.flatMap((p) => p.fills);
    await until(async () => {
      const r = await db.query(
        `SELECT count(*)::int AS n FROM trade_confirmations WHERE fill_id = ANY($1::uuid[]) AND state = 'DELIVERED'`,
        [fillIds],
      );
      return r.rows[0].n === fillIds.length * 2;
    });
    for (const p of traded) {
      const fillId = p.fills[0]!;
      const trades = (ws: RfqSocket) =>
        ws.received.filter((n) => n.channel === 'trades' && n.data.id === fillId);
      expect(trades(makerWs)).toHaveLength(1);
      expect(trades(takerWs[p.taker]!)).toHaveLength(1);
    }
  });
});
