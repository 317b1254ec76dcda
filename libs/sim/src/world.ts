import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { AuctionModule, AuctionService, ExpirySweeper, TimersProcessor } from '@app/auction';
import { AuditModule, AuditRepository } from '@app/audit';
import { AppConfig, Decimal, QUEUES, TimerJob, dec } from '@app/core';
import { InfraModule, PG_POOL, REDIS } from '@app/db';
import { EventBus, EventsModule, OutboxRelayService, OutboxRepository } from '@app/events';
import {
  Actor,
  InstrumentRepository,
  QuoteService,
  RfqModule,
  RfqRepository,
  RfqService,
  TimerScheduler,
  structureLotSize,
  structureTick,
} from '@app/rfq';
import { ControlsService, RiskModule } from '@app/risk';
import { LedgerCheckService, SettlementModule } from '@app/settlement';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import pg, { type Pool } from 'pg';
import { FakeClock, SIM_EPOCH } from './fake-clock.js';

export interface Structure {
  name: string;
  legs: Array<{ instrument: string; side: 'BUY' | 'SELL'; ratio: Decimal }>;
  underlyings: string[];
  lot: Decimal;
  tick: Decimal;
  /** A plausible net price, on the tick: quotes are offsets from it. */
  ref: Decimal;
}

export interface RecordedTimer {
  job: TimerJob;
  at: Date;
  seq: number;
  delivered: boolean;
  lost: boolean;
}

export interface SimWorld {
  app: INestApplicationContext;
  pool: Pool;
  /** The auditor's own connection: an observer outside the engine's pool, plans cached. */
  auditPool: Pool;
  clock: FakeClock;
  rfqs: RfqService;
  quotes: QuoteService;
  auction: AuctionService;
  relay: OutboxRelayService;
  sweeper: ExpirySweeper;
  timersProcessor: TimersProcessor;
  ledger: LedgerCheckService;
  audit: AuditRepository;
  controls: ControlsService;
  eventsQueue: Queue;
  takers: Array<Actor & { name: string }>;
  makers: Array<Actor & { name: string }>;
  admin: Actor;
  structures: Structure[];
  /** Timer jobs the engine asked for, delivered by the simulation at simulated times. */
  timers: RecordedTimer[];
  close(): Promise<void>;
}

/** Structures over the seeded instruments; expiries are picked by rank, so they exist at the epoch. */
const STRUCTURES: Array<{
  name: string;
  legs: Array<{ pattern: RegExp; side: 'BUY' | 'SELL'; ratio: number }>;
  ref: string;
}> = [
  { name: 'btc-call', legs: [{ pattern: /^BTC-\w+-100000-C$/, side: 'BUY', ratio: 1 }], ref: '2000' },
  { name: 'eth-put', legs: [{ pattern: /^ETH-\w+-3500-P$/, side: 'BUY', ratio: 1 }], ref: '150' },
  {
    name: 'btc-call-spread-1x2',
    legs: [
      { pattern: /^BTC-\w+-100000-C$/, side: 'BUY', ratio: 1 },
      { pattern: /^BTC-\w+-110000-C$/, side: 'SELL', ratio: 2 },
    ],
    ref: '500',
  },
  { name: 'btc-future', legs: [{ pattern: /^BTC-\d+[A-Z]{3}\d\d$/, side: 'BUY', ratio: 1 }], ref: '100500' },
  { name: 'eth-perp-short', legs: [{ pattern: /^ETH-PERPETUAL$/, side: 'SELL', ratio: 1 }], ref: '-3500' },
  {
    name: 'btc-straddle',
    legs: [
      { pattern: /^BTC-\w+-100000-C$/, side: 'BUY', ratio: 1 },
      { pattern: /^BTC-\w+-100000-P$/, side: 'BUY', ratio: 1 },
    ],
    ref: '4000',
  },
  {
    name: 'eth-fly',
    legs: [
      { pattern: /^ETH-\w+-3250-C$/, side: 'BUY', ratio: 1 },
      { pattern: /^ETH-\w+-3500-C$/, side: 'SELL', ratio: 2 },
      { pattern: /^ETH-\w+-3750-C$/, side: 'BUY', ratio: 1 },
    ],
    ref: '3',
  },
  {
    name: 'btc-eth-basis',
    legs: [
      { pattern: /^BTC-PERPETUAL$/, side: 'BUY', ratio: 1 },
      { pattern: /^ETH-PERPETUAL$/, side: 'SELL', ratio: 3 },
    ],
    ref: '89500',
  },
  // Deep out of the money: offsets below zero give net prices no all-bought structure can book.
  { name: 'btc-wing-put', legs: [{ pattern: /^BTC-\w+-80000-P$/, side: 'BUY', ratio: 1 }], ref: '20' },
];

export interface WorldOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  config: AppConfig;
}

/**
 * The engine's modules in one Nest application context, on a fake clock: no BullMQ workers, no
 * sweeper interval, no relay loop. The simulation delivers timers, sweeps and relays itself.
 */
export async function startWorld(options: WorldOptions): Promise<SimWorld> {
  const overrides = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    LOG_LEVEL: 'error',
    DATABASE_POOL_SIZE: '24',
    NODE_ENV: 'test',
  };

  @Module({
    imports: [
      InfraModule.forRoot(overrides),
      AuditModule,
      EventsModule.forRoot({ relay: false }),
      RfqModule,
      SettlementModule,
      RiskModule,
      AuctionModule,
    ],
  })
  class SimulationModule {}

  const app = await NestFactory.createApplicationContext(SimulationModule, { logger: ['error', 'fatal'] });
  await app.init();
  const clock = new FakeClock(SIM_EPOCH);
  const rfqs = app.get(RfqService);
  const quotes = app.get(QuoteService);
  const auction = app.get(AuctionService);
  rfqs.clock = clock;
  quotes.clock = clock;
  auction.clock = clock;

  const timers: RecordedTimer[] = [];
  const scheduler = app.get(TimerScheduler);
  scheduler.schedule = async (jobs) => {
    for (const { job, at } of jobs)
      timers.push({ job, at, seq: timers.length, delivered: false, lost: false });
  };

  const pool = app.get<Pool>(PG_POOL);
  const queue = (name: string) => app.get<Queue>(getQueueToken(name), { strict: false });
  const eventsQueue = queue(QUEUES.events);
  const relay = new OutboxRelayService(
    pool,
    eventsQueue as never,
    queue(QUEUES.rfqBroadcast) as never,
    queue(QUEUES.hedge) as never,
    app.get(OutboxRepository),
    app.get(EventBus),
    app.get(AppConfig),
  );
  const rfqRepo = app.get(RfqRepository);
  const sweeper = new ExpirySweeper(pool, rfqRepo, rfqs, quotes, auction);
  const timersProcessor = new TimersProcessor(rfqs, quotes, auction);

  const accounts = (
    await pool.query<{ id: string; name: string; role: 'TAKER' | 'MAKER' | 'ADMIN' }>(
      `SELECT id, name, role FROM accounts WHERE role IN ('TAKER','MAKER','ADMIN') ORDER BY name`,
    )
  ).rows;
  const as = (role: 'TAKER' | 'MAKER') =>
    accounts
      .filter((a) => a.role === role)
      .map((a) => ({ accountId: a.id, role, name: a.name, correlationId: null }));

  const instruments = app.get(InstrumentRepository);
  const all = (await instruments.all()).filter((i) => i.active).sort((a, b) => (a.name < b.name ? -1 : 1));
  const firstExpiry = (pattern: RegExp) => {
    const matching = all.filter((i) => pattern.test(i.name));
    matching.sort((a, b) => (a.expiry?.getTime() ?? Infinity) - (b.expiry?.getTime() ?? Infinity));
    const found = matching[0];
    if (!found) throw new Error(`no seeded instrument matches ${String(pattern)}`);
    return found;
  };
  const structures: Structure[] = STRUCTURES.map((s) => {
    const legs = s.legs.map((l) => ({
      instrument: firstExpiry(l.pattern),
      side: l.side,
      ratio: dec(l.ratio),
    }));
    const tick = structureTick(legs.map((l) => ({ ratio: l.ratio, tickSize: l.instrument.tickSize })));
    const lot = structureLotSize(legs.map((l) => ({ ratio: l.ratio, lotSize: l.instrument.lotSize })));
    return {
      name: s.name,
      legs: legs.map((l) => ({ instrument: l.instrument.name, side: l.side, ratio: l.ratio })),
      underlyings: [...new Set(legs.map((l) => l.instrument.underlying))],
      lot,
      tick,
      ref: dec(s.ref).div(tick).round().mul(tick),
    };
  });

  const auditPool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 1,
    // The invariants are one large query run after every step: plan it once, not every time.
    options: '-c plan_cache_mode=force_generic_plan',
  });
  const admin = accounts.find((a) => a.role === 'ADMIN');
  if (!admin) throw new Error('the seed has no admin');
  const redis = app.get<Redis>(REDIS);
  return {
    app,
    pool,
    auditPool,
    clock,
    rfqs,
    quotes,
    auction,
    relay,
    sweeper,
    timersProcessor,
    ledger: app.get(LedgerCheckService),
    audit: app.get(AuditRepository),
    controls: app.get(ControlsService),
    eventsQueue,
    takers: as('TAKER'),
    makers: as('MAKER'),
    admin: { accountId: admin.id, role: 'ADMIN', correlationId: null },
    structures,
    timers,
    async close() {
      // The relay wrote jobs and signatures under this run's private prefix: leave nothing behind.
      const keys = await redis.keys(`${options.queuePrefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await auditPool.end();
      await app.close();
    },
  };
}

/** Delivers one timer job exactly as the engine's BullMQ worker would. */
export function deliverTimer(world: SimWorld, job: TimerJob): Promise<void> {
  return world.timersProcessor.process({ data: job } as Job<TimerJob>);
}
