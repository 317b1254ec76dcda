/**
 * Booking throughput of the settlement engine, in one process (not a test).
 *   node dist/scripts/bench-booking.js --database rfq_bench --rfqs 2000
 *
 * --database NAME   create a fresh database NAME on the server of DATABASE_URL, migrate it (prisma
 *                   migrate deploy) and seed it; dropped at the end unless --keep. Refuses an existing
 *                   database unless --recreate. Without --database the bench uses DATABASE_URL as it
 *                   is and assumes it migrated and seeded (it adds RFQs, quotes and fills to it).
 * --rfqs K          fresh RFQs (each with one live quote, made through the services) per measured
 *                   run (default 2000); one run per variant and caller count.
 * --callers 1,8,32  concurrent callers per variant (default 1,8,32).
 * --variants LIST   accept, accept-fee-buckets, accept-fee-buckets-unchained, book, book+audit,
 *                   book+outbox (default: all but book+outbox):
 *                     accept       AuctionService.accept, the real path (idempotency key, RFQ and
 *                                  quote locks, settlement, quote/RFQ state, outbox, then the shared
 *                                  rows last: balances incl. the fee account's, the audit chain).
 *                     accept-fee-buckets  what-if: the same accept, but the fee account's USDC delta
 *                                  goes to one of 16 rows of a bench table (bench_fee_buckets)
 *                                  instead of its single balances row. Built here with a subclass of
 *                                  BookingRepository; the library is untouched.
 *                     accept-fee-buckets-unchained  what-if: that, and audit entries written to a
 *                                  bench table (bench_audit_unchained) without the chain's advisory
 *                                  lock and hash: the booking with neither global serialisation point.
 *                     book         the booking transaction alone: SettlementService.book, the quote
 *                                  and RFQ fill updates and the balances, in one transaction; no
 *                                  idempotency, no locks on RFQ/quotes, no outbox, no audit.
 *                     book+audit   book plus the audit append (the chain's advisory lock).
 *                     book+outbox  book plus the outbox append (its INSERT and pg_notify).
 *                   The what-if variants create their bench_* tables in the database they run on.
 * --rounds R        per caller count, the variants run interleaved in R slices of K/R (default 4),
 *                   so that load from other work on the machine hits every variant alike.
 * --pool N          PostgreSQL pool size (default: the largest caller count + 2).
 * --async-commit    connect with synchronous_commit=off (shows what commit flushes cost under locks).
 * --label NAME      name of this run's section in the report (default: default, or async-commit).
 * --doc PATH        report file (default docs/booking-benchmark.md; '-' for none). Only this run's
 *                   section, between its markers, is replaced; other text is kept.
 *
 * The outbox relay and the timer workers are not started: the figures are those of booking alone.
 * While a concurrent run goes on, pg_stat_activity is sampled every 10 ms and the bench reports what
 * the booking backends wait on (row locks, the advisory lock, WAL flush, the client...).
 */
import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { AuctionModule, AuctionService } from '@app/auction';
import { AuditEntry, AuditModule, AuditRepository } from '@app/audit';
import { AppConfig, Decimal, parseConfig } from '@app/core';
import { InfraModule, PG_POOL, runInTransaction, seedDatabase } from '@app/db';
import { EventsModule, OutboxRepository } from '@app/events';
import {
  Actor,
  QuoteService,
  QuoteView,
  ResolvedLeg,
  RfqModule,
  RfqRepository,
  RfqService,
  RfqView,
} from '@app/rfq';
import {
  BookingRepository,
  IdempotencyRepository,
  SettlementModule,
  SettlementService,
} from '@app/settlement';
import type { PoolClient } from 'pg';

const VARIANTS = [
  'accept',
  'accept-fee-buckets',
  'accept-fee-buckets-unchained',
  'book',
  'book+audit',
  'book+outbox',
] as const;
const DEFAULT_VARIANTS = VARIANTS.filter((v) => v !== 'book+outbox');
type Variant = (typeof VARIANTS)[number];
const USAGE =
  'usage: bench-booking [--database NAME [--recreate] [--keep]] [--rfqs 2000] [--callers 1,8,32]\n' +
  `  [--variants ${VARIANTS.join(',')}] [--rounds 4] [--pool N] [--async-commit] [--label NAME] [--doc PATH|-]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        database: { type: 'string' },
        recreate: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        rfqs: { type: 'string', default: '2000' },
        callers: { type: 'string', default: '1,8,32' },
        variants: { type: 'string', default: DEFAULT_VARIANTS.join(',') },
        pool: { type: 'string' },
        'async-commit': { type: 'boolean', default: false },
        label: { type: 'string' },
        doc: { type: 'string', default: 'docs/booking-benchmark.md' },
        warmup: { type: 'string', default: '200' },
        rounds: { type: 'string', default: '4' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
})();

const K = Number(values.rfqs);
const WARMUP = Number(values.warmup);
const ROUNDS = Number(values.rounds);
const callers = values.callers.split(',').map(Number);
const variants = values.variants.split(',') as Variant[];
if (!Number.isInteger(K) || K < 1) fail('--rfqs must be a positive integer');
if (!Number.isInteger(WARMUP) || WARMUP < 0) fail('--warmup must be a non-negative integer');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > K) fail('--rounds must be 1..K');
if (callers.some((c) => !Number.isInteger(c) || c < 1)) fail('--callers must be positive integers');
if (variants.some((v) => !VARIANTS.includes(v))) fail(`--variants must be among ${VARIANTS.join(',')}`);
const poolSize = values.pool ? Number(values.pool) : Math.max(...callers) + 2;
if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 200) fail('--pool must be 1..200');
const asyncCommit = values['async-commit'];
const label = values.label ?? (asyncCommit ? 'async-commit' : 'default');
if (!/^[A-Za-z0-9_.-]+$/.test(label)) fail('--label must be letters, digits, . _ -');

const log = (line: string) => process.stderr.write(`${line}\n`);
const baseConfig = parseConfig(process.env);

// ---------------------------------------------------------------- database

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  u.search = '';
  return u.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(baseConfig.DATABASE_URL, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(name: string): Promise<string> {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) fail('--database must be lower-case letters, digits and _');
  const url = withDatabase(baseConfig.DATABASE_URL, name);
  await admin(async (c) => {
    const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (exists && !values.recreate) fail(`database ${name} exists: pass --recreate to drop it first`);
    if (exists) await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const t0 = performance.now();
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: 'pipe',
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  try {
    await seedDatabase(prisma, {
      now: new Date(),
      encryptionKeyHex: baseConfig.API_KEY_ENCRYPTION_KEY,
      feeAccountName: baseConfig.FEE_ACCOUNT_NAME,
      hedgeVenueAccountName: baseConfig.HEDGE_VENUE_ACCOUNT_NAME,
    });
  } finally {
    await prisma.$disconnect();
  }
  log(`created, migrated and seeded ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return url;
}

// ---------------------------------------------------------------- engine

interface Prepared {
  taker: Actor;
  rfq: RfqView;
  legs: ResolvedLeg[];
  quote: QuoteView;
}

interface Engine {
  app: INestApplicationContext;
  pool: pg.Pool;
  rfqs: RfqService;
  rfqRepo: RfqRepository;
  quotes: QuoteService;
  auction: AuctionService;
  feeBuckets: AuctionService;
  feeBucketsUnchained: AuctionService;
  settlement: SettlementService;
  outbox: OutboxRepository;
  audit: AuditRepository;
  takers: Actor[];
  makers: Actor[];
  instruments: string[];
}

async function startEngine(databaseUrl: string, queuePrefix: string): Promise<Engine> {
  const url = new URL(databaseUrl);
  if (asyncCommit) url.searchParams.set('options', '-c synchronous_commit=off');
  @Module({
    imports: [
      InfraModule.forRoot({
        DATABASE_URL: url.toString(),
        DATABASE_POOL_SIZE: String(poolSize),
        QUEUE_PREFIX: queuePrefix,
        LOG_LEVEL: 'error',
      }),
      AuditModule,
      EventsModule.forRoot({ relay: false }),
      RfqModule,
      SettlementModule,
      AuctionModule,
    ],
  })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  await app.init();
  const pool = app.get<pg.Pool>(PG_POOL);
  // The engine's pool has no 'error' listener: an idle connection dropped by the server would crash us.
  pool.on('error', (error) => log(`pool: ${error.message}`));
  if (variants.some((v) => v.startsWith('accept-fee'))) await createWhatIfTables(pool);
  const accounts = (
    await pool.query<{ id: string; role: 'TAKER' | 'MAKER' }>(
      `SELECT id, role FROM accounts WHERE role IN ('TAKER', 'MAKER') ORDER BY name`,
    )
  ).rows;
  // Options of both underlyings, well before expiry: bookings rarely share a position row.
  const instruments = (
    await pool.query<{ name: string }>(
      `SELECT name FROM instruments WHERE kind = 'OPTION' AND active AND expiry > now() + interval '2 hours' ORDER BY name`,
    )
  ).rows.map((r) => r.name);
  const as = (role: 'TAKER' | 'MAKER') =>
    accounts
      .filter((a) => a.role === role)
      .map((a): Actor => ({ accountId: a.id, role, correlationId: null }));
  const engine: Engine = {
    app,
    pool,
    rfqs: app.get(RfqService),
    rfqRepo: app.get(RfqRepository),
    quotes: app.get(QuoteService),
    auction: app.get(AuctionService),
    feeBuckets: await whatIfAuction(app, pool, false),
    feeBucketsUnchained: await whatIfAuction(app, pool, true),
    settlement: app.get(SettlementService),
    outbox: app.get(OutboxRepository),
    audit: app.get(AuditRepository),
    takers: as('TAKER'),
    makers: as('MAKER'),
    instruments,
  };
  if (engine.takers.length === 0 || engine.makers.length === 0 || instruments.length === 0)
    fail('the database has no takers, makers or options: is it seeded?');
  return engine;
}

// ---------------------------------------------------------------- what-if: no global rows

const FEE_BUCKETS = 16;

/** The fee account's delta goes to one of FEE_BUCKETS rows (summed on read) instead of one row. */
class FeeBucketBalances extends BookingRepository {
  constructor(private readonly feeKey: string) {
    super();
  }

  override async addToBalances(client: PoolClient, deltas: Map<string, Decimal>): Promise<void> {
    const fee = deltas.get(this.feeKey);
    const rest = new Map([...deltas].filter(([k]) => k !== this.feeKey));
    await super.addToBalances(client, rest);
    if (fee && !fee.isZero())
      await client.query('UPDATE bench_fee_buckets SET amount = amount + $2 WHERE bucket = $1', [
        randomInt(FEE_BUCKETS),
        fee.toFixed(),
      ]);
  }
}

/** Audit rows without the chain: no advisory lock, no head read, no hash. */
class UnchainedAudit extends AuditRepository {
  override async append(client: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const values: unknown[] = [];
    const tuples = entries.map((entry) => {
      const b = values.length;
      values.push(
        entry.occurredAt ?? new Date(),
        entry.actorId,
        entry.action,
        entry.entityType,
        entry.entityId,
        JSON.stringify(entry.before ?? null),
        JSON.stringify(entry.after ?? null),
        entry.correlationId,
      );
      return `(${Array.from({ length: 8 }, (_, i) => `$${b + i + 1}`).join(',')}, '', '')`;
    });
    await client.query(
      `INSERT INTO bench_audit_unchained (occurred_at, actor_id, action, entity_type, entity_id, before, after, correlation_id, prev_hash, hash)
       VALUES ${tuples.join(',')}`,
      values,
    );
  }
}

async function whatIfAuction(
  app: INestApplicationContext,
  pool: pg.Pool,
  unchained: boolean,
): Promise<AuctionService> {
  const config = app.get(AppConfig);
  const fee = await pool.query<{ id: string }>('SELECT id FROM accounts WHERE name = $1', [
    config.FEE_ACCOUNT_NAME,
  ]);
  const settlement = new SettlementService(new FeeBucketBalances(`${fee.rows[0]?.id}|USDC`), config, null);
  return new AuctionService(
    pool,
    app.get(RfqRepository),
    app.get(RfqService),
    settlement,
    app.get(IdempotencyRepository),
    app.get(OutboxRepository),
    unchained ? new UnchainedAudit(pool) : app.get(AuditRepository),
  );
}

async function createWhatIfTables(pool: pg.Pool): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bench_fee_buckets (bucket int PRIMARY KEY, amount numeric NOT NULL DEFAULT 0)`,
  );
  await pool.query(
    `INSERT INTO bench_fee_buckets (bucket) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING`,
    [FEE_BUCKETS],
  );
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_audit_unchained (LIKE audit_log INCLUDING DEFAULTS)`);
}

/** Runs `fn` for each item with `concurrency` callers; returns per-call durations (ms) and wall time. */
async function drive<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<{ durations: number[]; wallMs: number }> {
  const durations = new Array<number>(items.length);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) {
        const start = performance.now();
        await fn(items[i]!);
        durations[i] = performance.now() - start;
      }
    }),
  );
  return { durations, wallMs: performance.now() - t0 };
}

const ONE = new Decimal(1);
const ASK = new Decimal(100); // a multiple of every option tick (5 and 0.5)

/** RFQs with one live ask-only quote each, through RfqService and QuoteService. */
async function prepare(e: Engine, tag: string, n: number): Promise<Prepared[]> {
  const list = Array.from({ length: n }, (_, i) => i);
  const out: Prepared[] = [];
  await drive(list, 16, async (i) => {
    const taker = e.takers[i % e.takers.length]!;
    const maker = e.makers[i % e.makers.length]!;
    const { rfq } = await e.rfqs.create(taker, {
      clientRfqId: `${tag}-${i}`,
      legs: [{ instrument: e.instruments[i % e.instruments.length]!, side: 'BUY', ratio: ONE }],
      quantity: ONE,
      expiresInSeconds: 3_600,
    });
    const { quote } = await e.quotes.submit(maker, {
      rfqId: rfq.id,
      clientQuoteId: `${tag}-q-${i}`,
      ask: { price: ASK, quantity: ONE },
      validForSeconds: 3_600,
    });
    out.push({ taker, rfq, legs: await e.rfqs.resolveLegs(rfq), quote });
  });
  return out;
}

function operation(e: Engine, variant: Variant): (p: Prepared) => Promise<unknown> {
  if (variant.startsWith('accept')) {
    const auction =
      variant === 'accept'
        ? e.auction
        : variant === 'accept-fee-buckets'
          ? e.feeBuckets
          : e.feeBucketsUnchained;
    return (p) => auction.accept(p.taker, p.rfq.id, { quoteId: p.quote.id, side: 'BUY' }, randomUUID());
  }
  // The statements of AuctionService.bookPlan, in its order, minus what the variant leaves out.
  return (p) =>
    runInTransaction(e.pool, async (client) => {
      const booked = await e.settlement.book(client, {
        rfq: p.rfq,
        legs: p.legs,
        takerSide: 'BUY',
        allocations: [{ quote: p.quote, quantity: ONE, price: ASK }],
        executionId: randomUUID(),
        correlationId: null,
        now: new Date(),
      });
      for (const u of booked.quoteUpdates)
        await e.rfqRepo.updateQuoteFill(client, u.quote.id, u.bidFilled, u.askFilled, u.state);
      await e.rfqRepo.updateRfq(client, p.rfq.id, 'FILLED', ONE, true);
      if (variant === 'book+outbox') await e.outbox.append(client, booked.events);
      await booked.applyBalances();
      if (variant === 'book+audit') await e.audit.append(client, booked.audit);
    });
}

/** Statements sent by the engine's clients (BEGIN and COMMIT included), for the SQL/call column. */
let queryCount = 0;
const uncounted = new WeakSet<object>();
const originalQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  if (!uncounted.has(this)) queryCount++;
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof originalQuery;

/** Samples what the engine's backends do: wait event, or "CPU" when active and not waiting. */
function startSampler(databaseUrl: string): { stop(): Promise<Map<string, number>> } {
  const tally = new Map<string, number>();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-sampler' });
  uncounted.add(client);
  let stopped = false;
  const name = new URL(databaseUrl).pathname.slice(1);
  const loop = (async () => {
    await client.connect();
    while (!stopped) {
      const { rows } = await client.query<{ state: string; wait: string | null }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'rfq-platform' AND state <> 'idle' AND pid <> pg_backend_pid()`,
        [name],
      );
      for (const r of rows) {
        const key =
          r.state === 'idle in transaction' ? 'client (idle in transaction)' : (r.wait ?? 'CPU (running)');
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client.end();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return tally;
    },
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

interface Row {
  variant: Variant;
  callers: number;
  fills: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  queries: number;
  waits: string;
}

function topWaits(tally: Map<string, number>): string {
  const total = [...tally.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return '';
  return [...tally.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, n]) => `${k} ${Math.round((100 * n) / total)}%`)
    .join(', ');
}

function table(rows: Row[]): string {
  const head =
    '| variant | callers | fills | s | fills/s | p50 ms | p99 ms | max ms | SQL/call | backends waiting on (share of samples) |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.variant} | ${r.callers} | ${r.fills} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond)} | ` +
          `${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} | ${r.queries.toFixed(1)} | ${r.waits} |`,
      )
      .join('\n')
  );
}

// ---------------------------------------------------------------- main

const loadAtStart = os.loadavg()[0]!;
const created = values.database ? await createDatabase(values.database) : null;
const databaseUrl = created ?? baseConfig.DATABASE_URL;
const runId = randomUUID().slice(0, 8);
const queuePrefix = `{bench${runId}}`;
const e = await startEngine(databaseUrl, queuePrefix);
const rows: Row[] = [];
let preparedPerSecond = 0;
try {
  if (WARMUP > 0) {
    log(`warm-up: ${WARMUP} accepts`);
    const warm = await prepare(e, `bench-${runId}-warm`, WARMUP);
    await drive(warm, 4, operation(e, 'accept'));
  }
  // Per caller count, the variants run interleaved in ROUNDS slices, so that a change in the
  // machine's load (a shared machine) weighs on every variant alike rather than on one row.
  for (const c of callers) {
    const t0 = performance.now();
    const items = new Map<Variant, Prepared[]>();
    for (const variant of variants) items.set(variant, await prepare(e, `bench-${runId}-${variant}-${c}`, K));
    preparedPerSecond = Math.max(
      preparedPerSecond,
      (K * variants.length) / ((performance.now() - t0) / 1000),
    );
    const acc = new Map(
      variants.map((v) => [
        v,
        { durations: [] as number[], wallMs: 0, queries: 0, waits: new Map<string, number>() },
      ]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of variants) {
        const all = items.get(variant)!;
        const slice = all.slice(Math.floor((round * K) / ROUNDS), Math.floor(((round + 1) * K) / ROUNDS));
        const a = acc.get(variant)!;
        const sampler = startSampler(databaseUrl);
        const queriesBefore = queryCount;
        const { durations, wallMs } = await drive(slice, c, operation(e, variant));
        a.queries += queryCount - queriesBefore;
        for (const [k, n] of await sampler.stop()) a.waits.set(k, (a.waits.get(k) ?? 0) + n);
        a.durations.push(...durations);
        a.wallMs += wallMs;
      }
    }
    for (const variant of variants) {
      const a = acc.get(variant)!;
      const sorted = [...a.durations].sort((x, y) => x - y);
      const row: Row = {
        variant,
        callers: c,
        fills: sorted.length,
        seconds: a.wallMs / 1000,
        perSecond: sorted.length / (a.wallMs / 1000),
        p50: pct(sorted, 0.5),
        p99: pct(sorted, 0.99),
        max: sorted.at(-1)!,
        queries: a.queries / sorted.length,
        waits: topWaits(a.waits),
      };
      rows.push(row);
      log(
        `${variant.padEnd(17)} ${String(c).padStart(3)} callers: ${Math.round(row.perSecond)} fills/s, ` +
          `p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, max ${row.max.toFixed(1)} ms; ${row.waits}`,
      );
    }
  }
  rows.sort((x, y) => variants.indexOf(x.variant) - variants.indexOf(y.variant) || x.callers - y.callers);
  const fills = (await e.pool.query<{ n: string }>('SELECT count(*) AS n FROM fills')).rows[0]!.n;
  log(`${fills} fills in the database`);
} finally {
  await e.app.close();
  // The RFQ and quote expiry timers this run scheduled: nobody will process them.
  const { Redis } = await import('ioredis');
  const redis = new Redis(baseConfig.REDIS_URL);
  const keys = await redis.keys(`${queuePrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

// ---------------------------------------------------------------- report

const server = await admin(async (c) => {
  const r = await c.query<{ v: string; sc: string; fsync: string; sb: string }>(
    `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc,
            current_setting('fsync') AS fsync, current_setting('shared_buffers') AS sb`,
  );
  return r.rows[0]!;
});
if (created && !values.keep) {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${values.database} WITH (FORCE)`));
  log(`dropped ${values.database}`);
}

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const machine =
  `${os.availableParallelism()} CPUs (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
  `Node ${process.version}, PostgreSQL ${server.v} (fsync ${server.fsync}, synchronous_commit ` +
  `${asyncCommit ? 'off for the bench connections' : server.sc}, shared_buffers ${server.sb}), ${os.type()} ${os.release()}; ` +
  `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end`;
const section =
  `### Run "${label}" (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)\n\n` +
  `Machine: ${machine}.  \n` +
  `Command: \`node dist/scripts/bench-booking.js ${process.argv.slice(2).join(' ')}\`; K = ${K} fresh ` +
  `RFQs per row, run interleaved with the other variants in ${ROUNDS} slices; pool ${poolSize}, warm-up ` +
  `${WARMUP} accepts; RFQ + quote creation ran at about ` +
  `${Math.round(preparedPerSecond)} pairs/s with 16 callers.\n\n` +
  `${table(rows)}\n`;
process.stdout.write(`\n${section}\n`);

if (values.doc !== '-') {
  const start = `<!-- bench:${label}:start -->`;
  const end = `<!-- bench:${label}:end -->`;
  const block = `${start}\n${section}${end}`;
  let text = existsSync(values.doc)
    ? readFileSync(values.doc, 'utf8')
    : '# Booking benchmark\n\nGenerated by `scripts/bench-booking.ts`.\n';
  const at = text.indexOf(start);
  const until = text.indexOf(end);
  text =
    at >= 0 && until > at
      ? text.slice(0, at) + block + text.slice(until + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(values.doc, text);
  log(`wrote ${values.doc}`);
}
process.exit(0);
