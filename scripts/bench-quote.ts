/**
 * Quoting latency of the built-in makers (not a test).
 *   npx swc apps libs scripts -d dist --quiet && node dist/scripts/bench-quote.js [--rfqs 200] [--iterations 10000]
 *
 * 1. Pure strategy path: value the four legs of a BTC iron condor against a snapshot and run the strategy
 *    (factor covariance, skew, spread, rounding, limit sizing) — `--iterations` timed runs after a warm-up;
 *    again with the maker's inventory (40 positions) revalued each time, as InventoryService.riskFor does.
 * 2. With services: a fresh database (created on the server of DATABASE_URL, migrated, seeded, dropped at
 *    the end unless --keep), the engine's modules (outbox relay), the market-data publisher (simulator) and
 *    the quoter's modules and workers in one process. `--rfqs` 4-leg RFQs, one at a time (and then
 *    `--in-flight` at a time); for each, the time from its `rfq.created` job being picked up to each built-in
 *    maker's quote being committed (QuotingMetrics), and from the RFQ's commit to the quote's.
 */
import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AuctionEngineModule, AuctionModule } from '@app/auction';
import { AuditModule } from '@app/audit';
import { AppConfig, Decimal, parseConfig } from '@app/core';
import { InfraModule, PG_POOL, PrismaService, seedDatabase } from '@app/db';
import { EventsModule } from '@app/events';
import { MarketDataModule, MarketDataService, type MarketSnapshot } from '@app/market-data';
import {
  aggregateRisk,
  QuoterWorkersModule,
  QuotingMetrics,
  QuotingModule,
  quoteStructure,
  riskAt,
  type RiskLimitSet,
} from '@app/quoting';
import { type Actor, type InstrumentInfo, RfqModule, RfqRepository, RfqService } from '@app/rfq';
import { SettlementModule } from '@app/settlement';

const { values } = parseArgs({
  options: {
    rfqs: { type: 'string', default: '200' },
    'in-flight': { type: 'string', default: '8' },
    iterations: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
    'pure-only': { type: 'boolean', default: false },
  },
  strict: true,
});
const RFQS = Number(values.rfqs);
const IN_FLIGHT = Number(values['in-flight']);
const ITERATIONS = Number(values.iterations);
const log = (line: string) => process.stderr.write(`${line}\n`);
const d = (v: string | number) => new Decimal(v);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

interface Row {
  path: string;
  n: number;
  median: string;
  p99: string;
}

function row(path: string, samples: number[], unit: 'µs' | 'ms', scale: number): Row {
  const sorted = samples.map((s) => s * scale).sort((a, b) => a - b);
  const fmt = (v: number) => `${v.toFixed(unit === 'µs' ? 1 : 2)} ${unit}`;
  return { path, n: sorted.length, median: fmt(percentile(sorted, 0.5)), p99: fmt(percentile(sorted, 0.99)) };
}

// ---------------------------------------------------------------- pure path

function pureBench(): Row[] {
  const now = new Date();
  const expiry = new Date(now.getTime() + 28 * 86_400_000);
  const snapshot: MarketSnapshot = {
    underlying: 'BTC',
    spot: 100_000,
    timestamp: now.getTime(),
    atmVol: 0.55,
    skew: -0.2,
    surface: { smile: 1, termSlope: 0.05, carry: 0, referenceYears: 30 / 365 },
    source: 'simulator',
  };
  const option = (strike: number, type: 'CALL' | 'PUT', exp = expiry): InstrumentInfo => ({
    id: `${strike}-${type}-${exp.getTime()}`,
    name: `BTC-${exp.getTime()}-${strike}-${type[0]}`,
    kind: 'OPTION',
    underlying: 'BTC',
    expiry: exp,
    strike: d(strike),
    optionType: type,
    tickSize: d(5),
    lotSize: d('0.01'),
    multiplier: d(1),
    active: true,
  });
  const legs = [
    { instrument: option(90_000, 'PUT'), side: 'BUY' as const, ratio: 1 },
    { instrument: option(95_000, 'PUT'), side: 'SELL' as const, ratio: 1 },
    { instrument: option(105_000, 'CALL'), side: 'SELL' as const, ratio: 1 },
    { instrument: option(110_000, 'CALL'), side: 'BUY' as const, ratio: 1 },
  ];
  const book = Array.from({ length: 40 }, (_, i) => ({
    instrument: option(
      80_000 + 5_000 * (i % 9),
      i % 2 ? 'CALL' : 'PUT',
      new Date(now.getTime() + [7, 28, 91, 182][i % 4]! * 86_400_000),
    ),
    quantity: ((i * 7) % 11) - 5 || 1,
  }));
  const limits: Record<string, RiskLimitSet> = {
    BTC: {
      maxAbsDelta: 50,
      maxAbsGamma: null,
      maxAbsVega: 200_000,
      maxGrossNotional: 50_000_000,
      maxStressLoss: null,
    },
  };
  const params = {
    gamma: 0.1,
    k: 1.5,
    horizonSeconds: 3600,
    baseSpreadTicks: 2,
    maxSize: d(100),
    volOfVol: 1,
    spotVolCorrelation: -0.5,
  };
  const inventoryOf = (revalue: boolean, cached: ReturnType<typeof aggregateRisk> | null) => {
    const risk =
      revalue || cached === null
        ? aggregateRisk(
            book.map((p) => ({ quantity: p.quantity, risk: riskAt(snapshot, p.instrument, now) })),
            { BTC: snapshot.spot },
          )
        : cached;
    return {
      byUnderlying: risk.byUnderlying,
      exposures: risk.exposures,
      quantities: Object.fromEntries(book.map((p) => [p.instrument.name, p.quantity])),
    };
  };
  const fixed = inventoryOf(true, null);
  const once = (revalue: boolean) =>
    quoteStructure({
      legs: legs.map((l) => ({ side: l.side, ratio: l.ratio, risk: riskAt(snapshot, l.instrument, now) })),
      quantity: d(25),
      tick: d(5),
      lot: d('0.01'),
      markets: [{ underlying: 'BTC', spot: snapshot.spot, atmVol: snapshot.atmVol }],
      inventory: revalue ? inventoryOf(true, null) : fixed,
      params,
      limits,
    });
  const rows: Row[] = [];
  for (const [label, revalue] of [
    ['pure: price a 4-leg RFQ (value legs + strategy)', false],
    ['pure: same, revaluing a 40-position inventory', true],
  ] as const) {
    for (let i = 0; i < 1_000; i++) once(revalue);
    const samples: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t0 = performance.now();
      const q = once(revalue);
      samples.push(performance.now() - t0);
      if (!q.bid && !q.ask) throw new Error('no quote');
    }
    rows.push(row(label, samples, 'µs', 1_000));
  }
  return rows;
}

// ---------------------------------------------------------------- with services

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  u.search = '';
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabase(parseConfig(process.env).DATABASE_URL, 'postgres'),
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function servicesBench(): Promise<Row[]> {
  const base = parseConfig(process.env);
  const suffix = randomBytes(4).toString('hex');
  const name = `rfq_bench_quote_${suffix}`;
  const url = withDatabase(base.DATABASE_URL, name);
  const prefix = `{bq${suffix}}`;
  await admin(`CREATE DATABASE ${name}`);
  let app: INestApplicationContext | null = null;
  try {
    execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: 'pipe',
    });
    @Module({
      imports: [
        InfraModule.forRoot({
          DATABASE_URL: url,
          QUEUE_PREFIX: prefix,
          LOG_LEVEL: 'error',
          MARKET_DATA_SOURCE: 'simulator',
          MARKET_DATA_INTERVAL_MS: '250',
          DATABASE_POOL_SIZE: '30',
        }),
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
    class BenchModule {}
    app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
    await app.init();
    // A connection killed under an idle pooled client must not take the bench down (transactions retry).
    app.get<pg.Pool>(PG_POOL).on('error', (error) => log(`pool: ${error.message}`));
    const config = app.get(AppConfig);
    const prisma = app.get(PrismaService);
    await seedDatabase(prisma, {
      now: new Date(),
      encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
      feeAccountName: config.FEE_ACCOUNT_NAME,
      hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
    });
    const rfqs = app.get(RfqService);
    const rfqRepo = app.get(RfqRepository);
    const metrics = app.get(QuotingMetrics);
    const market = app.get(MarketDataService);
    const builtIn = (await prisma.makerStrategy.findMany({ where: { enabled: true } })).map((s) => s.makerId);
    const taker: Actor = {
      accountId: (await prisma.account.findFirstOrThrow({ where: { name: 'taker-alpha' } })).id,
      role: 'TAKER',
      correlationId: null,
    };
    const expiry = (
      await prisma.instrument.findMany({
        where: { underlying: 'BTC', kind: 'FUTURE' },
        orderBy: { expiry: 'asc' },
      })
    )[1]!.name.split('-')[1]!;
    const legs = [
      { instrument: `BTC-${expiry}-90000-P`, side: 'BUY' as const, ratio: d(1) },
      { instrument: `BTC-${expiry}-95000-P`, side: 'SELL' as const, ratio: d(1) },
      { instrument: `BTC-${expiry}-105000-C`, side: 'SELL' as const, ratio: d(1) },
      { instrument: `BTC-${expiry}-110000-C`, side: 'BUY' as const, ratio: d(1) },
    ];
    while (!market.isFresh('BTC')) await new Promise((r) => setTimeout(r, 20));

    const endToEnd: number[] = [];
    const one = async () => {
      const { rfq } = await rfqs.create(taker, {
        clientRfqId: randomUUID(),
        legs,
        quantity: d(25),
        expiresInSeconds: 60,
      });
      for (;;) {
        const live = await rfqRepo.liveQuotes(rfqRepo.db, rfq.id);
        const mine = builtIn.map((m) => live.find((q) => q.makerId === m));
        if (mine.every((q) => q !== undefined)) {
          for (const q of mine) endToEnd.push(q.createdAt.getTime() - rfq.createdAt.getTime());
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      // Closed at once, so requoting of earlier RFQs does not compete with the next one.
      await rfqs.cancel(taker, rfq.id);
    };
    const run = async (count: number, inFlight: number) => {
      let left = count;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (left-- > 0) await one();
        }),
      );
    };
    await run(20, 1); // warm-up
    const rows: Row[] = [];
    for (const inFlight of [1, IN_FLIGHT]) {
      metrics.reset();
      endToEnd.length = 0;
      await run(RFQS, inFlight);
      rows.push(
        row(
          `services (${inFlight} in flight): job picked up → quote live`,
          metrics.quoteLatencies(),
          'ms',
          1,
        ),
      );
      rows.push(row(`services (${inFlight} in flight): RFQ committed → quote live`, endToEnd, 'ms', 1));
    }
    return rows;
  } finally {
    await app?.close();
    if (!values.keep) {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      const redis = new Redis(base.REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await redis.quit();
    } else log(`kept database ${name}`);
  }
}

const rows = pureBench();
if (!values['pure-only']) rows.push(...(await servicesBench()));
const widths = [Math.max(4, ...rows.map((r) => r.path.length)), 6, 10, 10];
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
process.stdout.write(
  [
    line(['path', 'n', 'median', 'p99']),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line([r.path, String(r.n), r.median, r.p99])),
  ].join('\n') + '\n',
);
process.exit(0);
