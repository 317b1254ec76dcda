import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditRepository } from '@app/audit';
import { parseConfig, QUEUES } from '@app/core';
import { redisOptions, seedDatabase } from '@app/db';
import { LedgerCheckService } from '@app/settlement';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createTestEnv, TestEnv } from './support/test-env.js';

/**
 * Crash safety of booking: a separate process books deterministic RFQ/quote/accept triples and is
 * SIGKILLed at random points, then restarted with the same command until it finishes. Nothing may
 * be lost or booked twice, and a relay killed mid-drain must still publish every outbox event.
 * Runs the built script: dist/ comes from `npm run build` (scripts/test.sh does it before jest).
 */
const BURST = path.resolve('dist/scripts/booking-burst.js');
const COUNT = 150;
const KILLS = 5;
const SEED = Number(process.env.CRASH_SEED ?? 20_260_611);

/** mulberry32: a small seeded PRNG, so a failing kill schedule can be replayed with CRASH_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

describe('crash safety of booking and the outbox relay', () => {
  let env: TestEnv;
  let pool: pg.Pool;
  const rand = prng(SEED);

  /** Runs the burst script; `killWhen` sees each stdout line and may ask for a SIGKILL after `delayMs`. */
  const run = (
    args: string[],
    killWhen?: (line: string) => boolean,
    delayMs = 0,
    timeoutMs = 60_000,
  ): Promise<RunResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BURST, ...args], {
        env: { ...process.env, ...env.overrides },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let stderr = '';
      let killing = false;
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(line);
        if (!killing && killWhen?.(line)) {
          killing = true;
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`booking-burst ${args.join(' ')} timed out:\n${lines.slice(-5).join('\n')}\n${stderr}`),
        );
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, lines, stderr });
      });
    });

  /** The run ended on its own with exit code 0 and `done N` as its last line (else: its output). */
  const expectDone = (res: RunResult, n: number) => {
    if (res.code !== 0 || res.lines.at(-1) !== `done ${n}`)
      throw new Error(
        `expected exit 0 and "done ${n}", got code ${res.code} signal ${res.signal}:\n` +
          `${res.lines.slice(-5).join('\n')}\n${res.stderr}`,
      );
  };

  const one = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T> =>
    (await pool.query<T>(sql, params)).rows[0]!;

  /** Invariants that must hold after any crash, whatever it interrupted. */
  const assertAtomic = async (prefix: string) => {
    const r = await one<{
      fills: number;
      completed: number;
      inProgress: number;
      rfqs: number;
      quotes: number;
    }>(
      `SELECT (SELECT count(*)::int FROM fills f JOIN rfqs r ON r.id = f.rfq_id WHERE r.client_rfq_id LIKE $1 || '-rfq-%') AS fills,
              (SELECT count(*)::int FROM idempotency_records WHERE key LIKE $1 || '-accept-%' AND state = 'COMPLETED') AS completed,
              (SELECT count(*)::int FROM idempotency_records WHERE key LIKE $1 || '-accept-%' AND state <> 'COMPLETED') AS "inProgress",
              (SELECT count(*)::int FROM rfqs WHERE client_rfq_id LIKE $1 || '-rfq-%') AS rfqs,
              (SELECT count(*)::int FROM quotes WHERE client_quote_id LIKE $1 || '-q-%') AS quotes`,
      [prefix],
    );
    // A committed accept has both its fill and its completed key; a killed one has neither.
    expect(r.inProgress).toBe(0);
    expect(r.fills).toBe(r.completed);
    expect(r.quotes).toBeLessThanOrEqual(r.rfqs);
    return r;
  };

  beforeAll(async () => {
    if (!existsSync(BURST))
      throw new Error(
        `${BURST} is missing: build first (npm run build, or npx swc apps libs scripts -d dist)`,
      );
    env = await createTestEnv('crash');
    const config = parseConfig({ ...process.env, ...env.overrides });
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: env.databaseUrl }) });
    try {
      await seedDatabase(prisma, {
        now: new Date(),
        encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
        feeAccountName: config.FEE_ACCOUNT_NAME,
        hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
      });
    } finally {
      await prisma.$disconnect();
    }
    pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await env?.drop();
  });

  it(`books each of ${COUNT} accepts exactly once across ${KILLS} SIGKILLs and restarts`, async () => {
    const args = ['--count', String(COUNT), '--prefix', 'run'];
    // One kill target in each fifth of the run, so the kills spread over it (seed: CRASH_SEED).
    const span = (COUNT - 10) / KILLS;
    const targets = Array.from({ length: KILLS }, (_, k) => 3 + Math.floor(k * span + rand() * span));
    const schedule: string[] = [];
    for (const target of targets) {
      // Kill a little after `progress target`: often mid-transaction of the next booking.
      const delay = Math.floor(rand() * 45);
      const res = await run(
        args,
        (line) => {
          const m = /^progress (\d+)$/.exec(line);
          return m !== null && Number(m[1]) >= target;
        },
        delay,
      );
      expect(res.signal).toBe('SIGKILL');
      const state = await assertAtomic('run');
      expect(state.fills).toBeGreaterThanOrEqual(target + 1);
      expect(state.fills).toBeLessThan(COUNT);
      schedule.push(`${target}+${delay}ms→${state.fills}`);
    }
    const last = await run(args);
    expectDone(last, COUNT);
    // The last run replayed every booking made before the last kill and printed progress for all.
    expect(last.lines.filter((l) => l.startsWith('progress '))).toHaveLength(COUNT);
    const state = await assertAtomic('run');
    expect(state).toEqual({ fills: COUNT, completed: COUNT, inProgress: 0, rfqs: COUNT, quotes: COUNT });
    process.stdout.write(`crash schedule (CRASH_SEED=${SEED}): ${schedule.join(', ')}\n`);
  }, 240_000); // about 20 s on an idle 2-CPU machine; each of the 6 runs boots Nest, slow under load

  it('leaves one fill, one journal entry and one execution per RFQ and key', async () => {
    const perRfq = await pool.query<{ client_rfq_id: string; state: string; fills: number; entries: number }>(
      `SELECT r.client_rfq_id, r.state, count(DISTINCT f.id)::int AS fills, count(j.id)::int AS entries
         FROM rfqs r LEFT JOIN fills f ON f.rfq_id = r.id LEFT JOIN journal_entries j ON j.fill_id = f.id
        WHERE r.client_rfq_id LIKE 'run-rfq-%' GROUP BY r.id`,
    );
    expect(perRfq.rows).toHaveLength(COUNT);
    expect(perRfq.rows.filter((r) => r.state !== 'FILLED' || r.fills !== 1 || r.entries !== 1)).toEqual([]);

    // Every key's stored response names one execution, and that execution is the one fill of its RFQ.
    const keys = await pool.query<{ key: string; status: number; execution_id: string; rfq_id: string }>(
      `SELECT key, response_status AS status,
              (response_body #>> '{}')::jsonb ->> 'executionId' AS execution_id,
              (response_body #>> '{}')::jsonb ->> 'rfqId' AS rfq_id
         FROM idempotency_records WHERE key LIKE 'run-accept-%'`,
    );
    expect(keys.rows).toHaveLength(COUNT);
    expect(keys.rows.every((k) => k.status === 200)).toBe(true);
    expect(new Set(keys.rows.map((k) => k.execution_id)).size).toBe(COUNT);
    const fills = await pool.query<{ execution_id: string; rfq_id: string; client_rfq_id: string }>(
      `SELECT f.execution_id, f.rfq_id, r.client_rfq_id FROM fills f JOIN rfqs r ON r.id = f.rfq_id
        WHERE r.client_rfq_id LIKE 'run-rfq-%'`,
    );
    const byExecution = new Map(fills.rows.map((f) => [f.execution_id, f]));
    expect(byExecution.size).toBe(COUNT);
    for (const k of keys.rows) {
      const fill = byExecution.get(k.execution_id);
      expect(fill?.rfq_id).toBe(k.rfq_id);
      expect(fill?.client_rfq_id).toBe(k.key.replace('-accept-', '-rfq-'));
    }
  });

  it('publishes every outbox event once more after the relay is SIGKILLed mid-drain', async () => {
    let killedWithPending = 0;
    const attempts: string[] = [];
    for (let attempt = 0; attempt < 3 && killedWithPending === 0; attempt++) {
      // Bookings without a relay leave their events PENDING for the relay-only process.
      const booked = await run(['--count', '100', '--prefix', `relay${attempt}`, '--no-relay']);
      expectDone(booked, 100);
      const before = (
        await one<{ n: number }>(`SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`)
      ).n;
      expect(before).toBeGreaterThanOrEqual(500);
      // Kill once the first batch is published and the next is in flight.
      const relay = await run(
        ['--relay-only'],
        (line) => {
          const m = /^pending (\d+)$/.exec(line);
          return m !== null && Number(m[1]) > 0 && Number(m[1]) < before;
        },
        Math.floor(rand() * 10),
      );
      if (relay.signal === 'SIGKILL') {
        killedWithPending = (
          await one<{ n: number }>(`SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`)
        ).n;
      }
      attempts.push(`${before} pending, ${relay.signal ?? relay.code} after ${relay.lines.join('|')}`);
    }
    if (killedWithPending === 0)
      throw new Error(`the relay was never killed with events pending:\n${attempts.join('\n')}`);

    const restarted = await run(['--relay-only']);
    expectDone(restarted, 0);
    const states = await pool.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM outbox_events GROUP BY state`,
    );
    expect(states.rows.map((r) => r.state)).toEqual(['PUBLISHED']);
    expect(states.rows[0]!.n).toBeGreaterThan(0);

    // Relaying is at-least-once; the job id (= event id) makes the queue hold each event it routes
    // there (fills) exactly once.
    const ids = (
      await pool.query<{ id: string }>(`SELECT id FROM outbox_events WHERE type = 'fill.booked'`)
    ).rows.map((r) => r.id);
    expect(ids.length).toBeGreaterThan(0);
    const total = ids.length;
    const redis = new Redis(redisOptions(env.redisUrl));
    const queue = new Queue(QUEUES.events, {
      connection: redisOptions(env.redisUrl),
      prefix: env.queuePrefix,
    });
    try {
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.exists(`${env.queuePrefix}:${QUEUES.events}:${id}`);
      const exists = ((await pipeline.exec()) ?? []).map(([, n]) => n);
      const counts = await queue.getJobCounts();
      expect({
        missing: exists.filter((n) => n !== 1).length,
        jobs: Object.values(counts).reduce((a, b) => a + b, 0),
      }).toEqual({ missing: 0, jobs: total });
    } finally {
      await queue.close();
      await redis.quit();
    }
  });

  it('keeps the ledger and the audit chain clean', async () => {
    const report = await new LedgerCheckService(pool).run();
    expect(report.problems).toEqual([]);
    expect(report.counts.fills).toBe(
      COUNT +
        (
          await one<{ n: number }>(
            `SELECT count(*)::int AS n FROM fills f JOIN rfqs r ON r.id = f.rfq_id WHERE r.client_rfq_id LIKE 'relay%'`,
          )
        ).n,
    );
    expect(report.counts.journalEntries).toBe(report.counts.fills);
    const chain = await new AuditRepository(pool).verify();
    expect(chain.firstBreak).toBeNull();
    expect(chain.ok).toBe(true);
  });
});
