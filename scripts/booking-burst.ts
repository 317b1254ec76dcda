/**
 * A burst of deterministic bookings, made to be SIGKILLed and run again (test/crash-safety.e2e-spec.ts).
 *   node dist/scripts/booking-burst.js --count 150 --prefix run
 * For i in 0..count-1: RFQ `${prefix}-rfq-${i}` by the first taker (by name), one leg BUY 1 of the
 * first-expiry BTC 100000 call; quote `${prefix}-q-${i}` by the first maker; accept with idempotency
 * key `${prefix}-accept-${i}`. Every id is derived from (prefix, i), so a re-run after a crash
 * resumes: the RFQ and quote already there are returned, and an accept that committed replays its
 * stored result instead of booking again. Prints `progress i` per booking and `done N` at the end.
 *
 * Flags: --no-relay boots without the outbox relay (events stay PENDING for another process);
 * --relay-only boots only the relay, prints `pending N` while it drains and `done 0` once no
 * event is PENDING. Assumes a migrated and seeded database (DATABASE_URL etc. from the environment).
 * Exit codes: 0 done, 1 a booking failed, 2 bad flags.
 */
import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AuctionEngineModule, AuctionModule, AuctionService } from '@app/auction';
import { AuditModule } from '@app/audit';
import { Decimal, DomainError, loadConfigOrExit } from '@app/core';
import { InfraModule, PG_POOL } from '@app/db';
import { EventsModule, OutboxRelayService } from '@app/events';
import { Actor, QuoteService, RfqModule, RfqService } from '@app/rfq';
import { SettlementModule } from '@app/settlement';
import type { Pool } from 'pg';

const USAGE = 'usage: booking-burst --count N --prefix P [--no-relay] | --relay-only';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: { count?: string; prefix?: string; 'no-relay'?: boolean; 'relay-only'?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      count: { type: 'string', default: '0' },
      prefix: { type: 'string', default: 'burst' },
      'no-relay': { type: 'boolean', default: false },
      'relay-only': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const count = Number(values.count);
const prefix = values.prefix ?? 'burst';
const relayOnly = values['relay-only'] === true;
const relay = values['no-relay'] !== true;
if (!Number.isInteger(count) || count < 0)
  fail(`--count must be a non-negative integer, got '${values.count}'`);
if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) fail(`--prefix must be letters, digits, '.', '_' or '-'`);
if (relayOnly && !relay) fail('--relay-only and --no-relay contradict each other');

loadConfigOrExit();

const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rootModule(): DynamicModule {
  const imports = relayOnly
    ? [InfraModule.forRoot(), EventsModule.forRoot({ relay: true })]
    : [
        InfraModule.forRoot(),
        AuditModule,
        EventsModule.forRoot({ relay }),
        RfqModule,
        SettlementModule,
        AuctionModule,
        AuctionEngineModule,
      ];
  @Module({})
  class BurstModule {}
  return { module: BurstModule, imports };
}

async function pendingEvents(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox_events WHERE state = 'PENDING'`,
  );
  return rows[0]!.n;
}

/** Waits for the relay (started at bootstrap) to publish every pending event. */
async function relayUntilDrained(pool: Pool): Promise<void> {
  let last = -1;
  for (;;) {
    const n = await pendingEvents(pool);
    if (n !== last) out(`pending ${n}`);
    last = n;
    if (n === 0) return;
    await sleep(10);
  }
}

async function actorByRole(pool: Pool, role: 'TAKER' | 'MAKER'): Promise<Actor> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM accounts WHERE role = $1 ORDER BY name LIMIT 1',
    [role],
  );
  if (!rows[0]) throw new Error(`no ${role} account: seed the database first`);
  return { accountId: rows[0].id, role };
}

async function burst(app: INestApplicationContext, pool: Pool): Promise<void> {
  const rfqs = app.get(RfqService);
  const quotes = app.get(QuoteService);
  const auction = app.get(AuctionService);
  const taker = await actorByRole(pool, 'TAKER');
  const maker = await actorByRole(pool, 'MAKER');
  const { rows } = await pool.query<{ name: string }>(
    `SELECT name FROM instruments WHERE underlying = 'BTC' AND option_type = 'CALL' AND strike = 100000
      ORDER BY expiry LIMIT 1`,
  );
  const instrument = rows[0]?.name;
  if (!instrument) throw new Error('no BTC 100000 call: seed the database first');
  const one = new Decimal(1);

  for (let i = 0; i < count; i++) {
    const correlationId = `${prefix}-${i}`;
    const { rfq } = await rfqs.create(
      { ...taker, correlationId },
      {
        clientRfqId: `${prefix}-rfq-${i}`,
        legs: [{ instrument, side: 'BUY', ratio: one }],
        quantity: one,
        expiresInSeconds: 3_600,
      },
    );
    const { quote } = await quotes.submit(
      { ...maker, correlationId },
      {
        rfqId: rfq.id,
        clientQuoteId: `${prefix}-q-${i}`,
        bid: { price: new Decimal(4000), quantity: one },
        ask: { price: new Decimal(4100), quantity: one },
        validForSeconds: 3_600,
      },
    );
    const res = await auction.accept(
      { ...taker, correlationId },
      rfq.id,
      { quoteId: quote.id, side: 'BUY' },
      `${prefix}-accept-${i}`,
    );
    if (res.body.filledQuantity !== '1')
      throw new Error(`booking ${i}: filled ${res.body.filledQuantity}, expected 1`);
    out(`progress ${i}`);
  }
}

const app = await NestFactory.createApplicationContext(rootModule(), { logger: ['error', 'warn'] });
await app.init();
const pool = app.get<Pool>(PG_POOL);
let code = 0;
try {
  if (relayOnly) {
    out('relay ready');
    await relayUntilDrained(pool);
    out('done 0');
  } else {
    await burst(app, pool);
    out(`done ${count}`);
  }
} catch (error) {
  code = 1;
  const detail = error instanceof DomainError ? `${error.code}: ${error.message}` : String(error);
  process.stderr.write(`booking-burst failed: ${detail}\n`);
}
// Stop the relay before Nest closes the BullMQ queues: its shutdown hook can run after theirs, and a
// drain started in between fails with "Connection is closed" (harmless: rolled back, retried later).
if (relay) await app.get(OutboxRelayService).beforeApplicationShutdown();
await app.close();
process.exit(code);
