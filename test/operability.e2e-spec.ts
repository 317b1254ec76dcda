import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { QUEUES } from '@app/core';
import { redisOptions } from '@app/db';
import { ApiError, RfqSocket, signRequest } from '@app/sdk';
import { Queue, QueueEvents } from 'bullmq';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import pg from 'pg';
import { Platform, startPlatform } from './support/platform.js';
import { freePort, RunningProcess, startProcess } from './support/processes.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/**
 * Operability of the deployed processes: JSON logs that follow one correlation id from the gateway
 * to the engine's jobs, /metrics, the queue dashboard, tracing, the migration check, and a
 * graceful SIGTERM of the engine and a gateway in the middle of a trading load that loses nothing.
 */
describe('operability', () => {
  let env: TestEnv;
  let platform: Platform;
  let db: pg.Pool;
  let engine: RunningProcess;
  let engineMetrics: number;
  let second: { baseUrl: string; process: RunningProcess };
  // A gateway that exports traces to an OTLP/HTTP collector played by this test.
  let traced: { baseUrl: string; process: RunningProcess };
  const received: Array<Record<string, unknown>> = [];
  const collector: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let call: string;
  const queueEvents: QueueEvents[] = [];
  const stalled: string[] = [];
  const sockets: RfqSocket[] = [];
  const extraEnv = {
    RATE_LIMIT_PER_SECOND: '5000',
    RATE_LIMIT_BURST: '10000',
    WS_HEARTBEAT_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '15000',
  };

  beforeAll(async () => {
    env = await createTestEnv('operability');
    engineMetrics = await freePort();
    platform = await startPlatform(env, { extraEnv: { ...extraEnv, METRICS_PORT: String(engineMetrics) } });
    engine = platform.processes[0]!;
    const collectorPort = await new Promise<number>((resolve) =>
      collector.listen(0, '127.0.0.1', () => resolve((collector.address() as { port: number }).port)),
    );
    [second, traced] = await Promise.all([
      platform.startGateway(),
      platform.startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}` }),
    ]);
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
    const instruments = await platform.client('taker-alpha').instruments();
    call = instruments.data.find((i) => i.kind === 'OPTION' && i.name.endsWith('-100000-C'))!.name;
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all(queueEvents.map((q) => q.close()));
    await platform?.stop();
    collector.close();
    await db?.end();
    await env?.drop();
  });

  const lines = (p: RunningProcess) =>
    p
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
  const json = (p: RunningProcess) => lines(p).map((l) => JSON.parse(l) as Record<string, unknown>);
  const until = async <T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const metricValue = (text: string, series: RegExp) => {
    const line = text.split('\n').find((l) => series.test(l));
    return line ? Number(line.split(' ').pop()) : null;
  };

  it('writes JSON logs that carry the correlation id from the gateway to the engine, never a signature', async () => {
    const taker = platform.client('taker-alpha');
    const maker = platform.client('maker-foxtrot');
    const correlationId = `op-${randomUUID().slice(0, 8)}`;
    const rfq = await taker.request<{ id: string }>(
      'POST',
      '/v1/rfqs',
      {
        clientRfqId: randomUUID(),
        legs: [{ instrument: call, side: 'BUY' }],
        quantity: '1',
        expiresInSeconds: 30,
      },
      { 'x-correlation-id': correlationId },
    );
    expect(rfq.headers.get('x-correlation-id')).toBe(correlationId);
    const quote = await maker.submitQuote({
      rfqId: rfq.body.id,
      ask: { price: '4100', quantity: '1' },
      validForSeconds: 30,
    });
    await taker.request(
      'POST',
      `/v1/rfqs/${rfq.body.id}/accept`,
      { quoteId: quote.id, side: 'BUY' },
      {
        'idempotency-key': randomUUID(),
        'x-correlation-id': correlationId,
      },
    );
    // A refused request logs its headers, with the signature redacted.
    const k = platform.keys.get('taker-alpha')!;
    const ts = String(Date.now());
    const signature = signRequest(k.secret, ts, 'GET', '/v1/positions', '');
    const refused = await fetch(`${platform.baseUrl}/v1/rfqs`, {
      headers: { 'x-api-key': k.keyId, 'x-api-timestamp': ts, 'x-api-signature': signature },
    });
    expect(refused.status).toBe(401);

    const gateway = platform.processes[1]!;
    const gatewayLines = await until(async () => {
      const all = json(gateway);
      return all.some((l) => l.status === 401 && l.url === '/v1/rfqs') ? all : null;
    });
    expect(gatewayLines.every((l) => typeof l.level === 'string' && typeof l.time === 'string')).toBe(true);
    const mine = gatewayLines.filter((l) => l.correlationId === correlationId);
    expect(mine.map((l) => l.route)).toEqual(expect.arrayContaining(['/v1/rfqs', '/v1/rfqs/:id/accept']));
    const denied = gatewayLines.find((l) => l.status === 401 && l.url === '/v1/rfqs')!;
    expect((denied.headers as Record<string, string>)['x-api-signature']).toBe('[redacted]');
    expect(gateway.output()).not.toContain(signature);
    expect(gateway.output()).not.toContain(k.secret);

    // The relayed jobs of that RFQ log in the engine under the same id.
    const engineLines = await until(async () => {
      const all = json(engine).filter((l) => l.correlationId === correlationId);
      return all.some((l) => l.job === 'fill.booked') ? all : null;
    });
    expect(engineLines.map((l) => l.job)).toEqual(expect.arrayContaining(['fill.booked']));
    expect(engineLines.every((l) => l.queue === 'events' && l.app === 'engine')).toBe(true);
  });

  it('exposes request, booking, state, queue, outbox, socket and market data metrics', async () => {
    const ws = await platform.client('taker-bravo').connect({ channels: ['trades'] });
    sockets.push(ws);
    const text = await until(async () => {
      const body = await (await fetch(`${platform.baseUrl}/metrics`)).text();
      return (metricValue(body, /^rfq_rfqs\{state="FILLED"/) ?? 0) >= 1 &&
        (metricValue(body, /^rfq_ws_connections/) ?? 0) >= 1
        ? body
        : null;
    }, 15_000);
    for (const series of [
      /^rfq_http_request_duration_seconds_count\{.*method="POST",route="\/v1\/rfqs",status_code="201"/m,
      /^rfq_booking_duration_seconds_bucket\{.*operation="accept",outcome="booked"/m,
      /^rfq_rfqs\{state="OPEN"/m,
      /^rfq_quotes\{state="FILLED"/m,
      /^rfq_queue_jobs\{queue="events",state="waiting"/m,
      /^rfq_queue_jobs\{queue="timers",state="delayed"/m,
      /^rfq_queue_oldest_waiting_seconds\{queue="events"/m,
      /^rfq_outbox_lag_seconds\{/m,
      /^rfq_outbox_pending\{/m,
      /^rfq_confirmations_pending\{/m,
      /^rfq_market_data_age_seconds\{underlying="BTC"/m,
      /^rfq_market_data_fresh\{underlying="BTC"/m,
      /^rfq_tracing_enabled\{app="gateway"\} 0$/m,
      /^process_cpu_seconds_total\{app="gateway"\}/m,
      /^nodejs_eventloop_lag_seconds\{app="gateway"\}/m,
    ]) {
      expect(text).toMatch(series);
    }
    const engineText = await (await fetch(`http://127.0.0.1:${engineMetrics}/metrics`)).text();
    expect(engineText).toMatch(
      /^rfq_job_duration_seconds_count\{.*queue="events",name="fill.booked",outcome="completed"/m,
    );
    expect(engineText).toMatch(/^rfq_job_wait_seconds_bucket\{.*queue="events"/m);
    expect(engineText).toMatch(/^rfq_jobs_stalled_total|# TYPE rfq_jobs_stalled_total counter/m);
    expect((await fetch(`http://127.0.0.1:${engineMetrics}/health`)).status).toBe(200);
  });

  it('serves the queue dashboard to admin keys only (HTTP Basic: key id and secret)', async () => {
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    const admin = platform.keys.get('admin')!;
    const taker = platform.keys.get('taker-alpha')!;
    const page = await fetch(`${platform.baseUrl}/admin/queues`, {
      headers: basic(admin.keyId, admin.secret),
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const api = await fetch(`${platform.baseUrl}/admin/queues/api/queues`, {
      headers: basic(admin.keyId, admin.secret),
    });
    const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
    expect(names.sort()).toEqual([...new Set(Object.values(QUEUES))].sort());
    const anonymous = await fetch(`${platform.baseUrl}/admin/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(
      (await fetch(`${platform.baseUrl}/admin/queues`, { headers: basic(admin.keyId, 'wrong') })).status,
    ).toBe(401);
    expect(
      (await fetch(`${platform.baseUrl}/admin/queues`, { headers: basic(taker.keyId, taker.secret) })).status,
    ).toBe(403);
  });

  it('exports traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set: HTTP spans with their database spans', async () => {
    const correlationId = `trace-${randomUUID().slice(0, 8)}`;
    await platform.client('taker-alpha', traced.baseUrl).request(
      'POST',
      '/v1/rfqs',
      {
        clientRfqId: randomUUID(),
        legs: [{ instrument: call, side: 'BUY' }],
        quantity: '1',
        expiresInSeconds: 30,
      },
      { 'x-correlation-id': correlationId },
    );
    type Span = {
      traceId: string;
      name: string;
      attributes?: Array<{ key: string; value: { stringValue?: string } }>;
    };
    const spans = await until(async () => {
      const all = received.flatMap((r) =>
        (r.resourceSpans as Array<{ scopeSpans: Array<{ spans: Span[] }> }>).flatMap((rs) =>
          rs.scopeSpans.flatMap((s) => s.spans),
        ),
      );
      return all.some((s) => s.name === 'POST /v1/rfqs') ? all : null;
    });
    const server = spans.find((s) => s.name === 'POST /v1/rfqs')!;
    expect(server.attributes?.find((a) => a.key === 'rfq.correlation_id')?.value.stringValue).toBe(
      correlationId,
    );
    const sameTrace = spans.filter((s) => s.traceId === server.traceId).map((s) => s.name);
    expect(sameTrace.some((n) => n.startsWith('pg.query'))).toBe(true);
    expect(await (await fetch(`${traced.baseUrl}/metrics`)).text()).toMatch(
      /^rfq_tracing_enabled\{app="gateway"\} 1$/m,
    );
    expect(await traced.process.stop('SIGTERM')).toBe(0);
  });

  it('drains on SIGTERM mid-load (engine, then a gateway), restarts, and loses nothing', async () => {
    const gateways = [platform.baseUrl, second.baseUrl];
    const firstGateway = platform.processes[1]!;
    type Attempt = {
      base: string;
      rfqId: string;
      quoteId: string;
      taker: string;
      key: string;
      startedAt: number;
      result: 'pending' | 'ok' | 'rejected' | 'unknown';
      fills: string[];
    };
    const attempts: Attempt[] = [];
    const takers = ['taker-alpha', 'taker-bravo', 'taker-charlie'];
    const LOAD_MS = 12_000;
    const stopAt = Date.now() + LOAD_MS;
    let turn = 0;
    const runner = async (n: number) => {
      while (Date.now() < stopAt) {
        const base = gateways[turn++ % gateways.length]!;
        const takerName = takers[n % takers.length]!;
        const taker = platform.client(takerName, base);
        try {
          const rfq = await taker.createRfq({
            legs: [{ instrument: call, side: 'BUY' }],
            quantity: '1',
            expiresInSeconds: 30,
          });
          const quote = await platform
            .client('maker-foxtrot', base)
            .submitQuote({ rfqId: rfq.id, ask: { price: '4100', quantity: '1' }, validForSeconds: 30 });
          const a: Attempt = {
            base,
            rfqId: rfq.id,
            quoteId: quote.id,
            taker: takerName,
            key: randomUUID(),
            startedAt: Date.now(),
            result: 'pending',
            fills: [],
          };
          attempts.push(a);
          try {
            const execution = await taker.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }, a.key);
            a.result = 'ok';
            a.fills = execution.fills.map((f) => f.id);
          } catch (error) {
            a.result = error instanceof ApiError ? 'rejected' : 'unknown';
          }
        } catch {
          // the gateway went away between two calls of this round: try the next one
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, n) => runner(n)));

    // Engine: SIGTERM while relaying and processing jobs, exit 0, restart.
    await new Promise((r) => setTimeout(r, 2_500));
    const stopped = engine;
    expect(await stopped.stop('SIGTERM')).toBe(0);
    await until(async () => /"msg":"stopped in \d+ ms"/.test(stopped.output()), 3_000);
    expect(stopped.output()).toMatch(/"msg":"workers closed"/);
    engine = await startProcess(
      'dist/apps/engine/src/main.js',
      { ...env.overrides, ...extraEnv, METRICS_PORT: String(engineMetrics), LOG_LEVEL: 'info' },
      /engine running/,
    );
    platform.processes.push(engine);

    // Gateway: accepts held inside their booking transaction (the test locks their RFQs) when
    // SIGTERM arrives. The listener closes at once, the accepts finish and are answered once the
    // lock goes, a socket gets a close frame with a reason, and the process exits 0.
    gateways.splice(gateways.indexOf(platform.baseUrl), 1);
    const ws = await platform.client('taker-charlie', platform.baseUrl).connect({ channels: ['trades'] });
    sockets.push(ws);
    const held = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const taker = platform.client('taker-charlie', platform.baseUrl);
        const rfq = await taker.createRfq({
          legs: [{ instrument: call, side: 'BUY' }],
          quantity: '1',
          expiresInSeconds: 30,
        });
        const quote = await platform
          .client('maker-foxtrot', platform.baseUrl)
          .submitQuote({ rfqId: rfq.id, ask: { price: '4100', quantity: '1' }, validForSeconds: 30 });
        return { taker, rfqId: rfq.id, quoteId: quote.id };
      }),
    );
    const lock = await db.connect();
    let answers: Array<PromiseSettledResult<{ fills: Array<{ id: string }> }>>;
    let exitCode: number | null;
    try {
      const lockPid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await lock.query('BEGIN');
      await lock.query(`SELECT id FROM rfqs WHERE id = ANY($1::uuid[]) FOR UPDATE`, [
        held.map((h) => h.rfqId),
      ]);
      const accepting = Promise.allSettled(
        held.map((h) => h.taker.accept(h.rfqId, { quoteId: h.quoteId, side: 'BUY' })),
      );
      // Wait until every held accept is inside its transaction, blocked (directly or through
      // another held one) by the lock of this test.
      await until(async () => {
        const { rows } = await db.query<{ pid: number; blockers: number[] }>(
          `SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE datname = current_database()`,
        );
        const blocked = new Set<number>([lockPid]);
        for (let grew = true; grew;) {
          grew = false;
          for (const r of rows)
            if (!blocked.has(r.pid) && r.blockers.some((b) => blocked.has(b))) grew = !!blocked.add(r.pid);
        }
        return blocked.size - 1 >= held.length;
      });
      const exited = firstGateway.stop('SIGTERM');
      // No new connection is accepted while the held requests are still in flight.
      await until(async () =>
        fetch(`${platform.baseUrl}/health`).then(
          () => false,
          () => true,
        ),
      );
      await lock.query('ROLLBACK');
      answers = await accepting;
      exitCode = await exited;
    } finally {
      lock.release();
    }
    expect(exitCode).toBe(0);
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.status : String(a.reason)))).toEqual(
      held.map(() => 'fulfilled'),
    );
    for (const [i, a] of answers.entries()) {
      if (a.status !== 'fulfilled') continue;
      attempts.push({
        base: platform.baseUrl,
        rfqId: held[i]!.rfqId,
        quoteId: held[i]!.quoteId,
        taker: 'taker-charlie',
        key: '',
        startedAt: 0,
        result: 'ok',
        fills: a.value.fills.map((f) => f.id),
      });
    }
    expect(ws.closeInfo).toEqual({ code: 1001, reason: 'server shutting down' });
    // The held accepts were answered after the signal, during the drain.
    await until(async () => /"msg":"stopped in \d+ ms"/.test(firstGateway.output()), 3_000);
    const afterSignal = lines(firstGateway).slice(
      lines(firstGateway).findIndex((l) => l.includes('SIGTERM received')),
    );
    expect(
      afterSignal.filter((l) => l.includes('"route":"/v1/rfqs/:id/accept"') && l.includes('"status":200')),
    ).toHaveLength(held.length);
    const third = await platform.startGateway();
    gateways.push(third.baseUrl);
    await load;

    // Accepts whose answer was lost with the connection: the same idempotency key settles them.
    for (const a of attempts.filter((x) => x.result === 'unknown')) {
      try {
        const execution = await platform
          .client(a.taker, third.baseUrl)
          .accept(a.rfqId, { quoteId: a.quoteId, side: 'BUY' }, a.key);
        a.result = 'ok';
        a.fills = execution.fills.map((f) => f.id);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        a.result = 'rejected';
      }
    }
    const accepted = attempts.filter((a) => a.result === 'ok');
    expect(accepted.length).toBeGreaterThan(10);

    // Settle: every outbox event relayed, no job running anywhere, nothing left waiting on the
    // engine's queues (no quoter runs here: rfq-broadcast and hedge jobs wait for one by design).
    const engineQueues = new Set<string>([QUEUES.events, QUEUES.timers, QUEUES.analytics]);
    const queues = Object.values(QUEUES).map(
      (name) => new Queue(name, { connection: redisOptions(env.redisUrl), prefix: env.queuePrefix }),
    );
    let last: unknown = null;
    try {
      await until(async () => {
        const pending = await db.query(
          `SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`,
        );
        const counts = await Promise.all(queues.map((q) => q.getJobCounts('active', 'waiting')));
        last = { outboxPending: pending.rows[0].n, counts: queues.map((q, i) => [q.name, counts[i]]) };
        return (
          pending.rows[0].n === 0 &&
          counts.every((c, i) => c.active === 0 && (!engineQueues.has(queues[i]!.name) || c.waiting === 0))
        );
      }, 20_000).catch((error: unknown) => {
        throw new Error(`not settled: ${JSON.stringify(last)} (${String(error)})`);
      });
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
    expect(stalled).toEqual([]);
    expect(lines(engine).join('\n')).not.toMatch(/job stalled/);

    // Nothing lost, nothing twice: exactly the fills the takers were told about.
    const booked = await db.query<{ id: string; rfq_id: string }>(
      `SELECT id, rfq_id FROM fills WHERE rfq_id = ANY($1::uuid[])`,
      [attempts.map((a) => a.rfqId)],
    );
    expect(booked.rows.map((r) => r.id).sort()).toEqual(accepted.flatMap((a) => a.fills).sort());
    const check = await platform.client('admin', third.baseUrl).admin<{ ok: boolean }>('ledger/check');
    expect(check.ok).toBe(true);
  });

  it('refuses to start against a database whose migrations are behind, in one line', async () => {
    const behind = await createTestEnv('migcheck');
    try {
      const client = new pg.Client({ connectionString: behind.databaseUrl });
      await client.connect();
      const last = await client.query<{ migration_name: string }>(
        `DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations) RETURNING migration_name`,
      );
      await client.end();
      const run = spawnSync(process.execPath, ['dist/apps/gateway/src/main.js'], {
        env: { ...process.env, ...behind.overrides, PORT: String(await freePort()) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(
        `Database is behind: 1 migration not applied (${last.rows[0]!.migration_name}); run npm run db:migrate`,
      );
    } finally {
      await behind.drop();
    }
  });
});
