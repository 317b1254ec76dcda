import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuctionEngineModule, AuctionModule, AuctionService, ExpirySweeper } from '@app/auction';
import { AuditModule, AuditRepository, AuditSealerModule } from '@app/audit';
import { AppConfig, Decimal, DomainError } from '@app/core';
import { InfraModule, PG_POOL, PrismaService, seedDatabase } from '@app/db';
import { EventsModule, OutboxRelayService } from '@app/events';
import { Actor, QuoteService, RfqModule, RfqService } from '@app/rfq';
import { LedgerCheckService, SettlementModule } from '@app/settlement';
import type { Pool } from 'pg';
import type { TestEnv } from './test-env.js';
import { rowText } from './fingerprint.js';

export interface Harness {
  app: INestApplicationContext;
  pool: Pool;
  rfqs: RfqService;
  quotes: QuoteService;
  auction: AuctionService;
  ledger: LedgerCheckService;
  audit: AuditRepository;
  relay: OutboxRelayService;
  sweeper: ExpirySweeper;
  takers: Actor[];
  makers: Actor[];
  admin: Actor;
  close(): Promise<void>;
}

/** The engine's modules in-process against a test database (seeded), with the relay and timers. */
export async function startEngineHarness(env: TestEnv, options: { seed?: boolean } = {}): Promise<Harness> {
  @Module({
    imports: [
      InfraModule.forRoot(env.overrides),
      AuditModule,
      EventsModule.forRoot({ relay: true }),
      RfqModule,
      SettlementModule,
      AuctionModule,
      AuctionEngineModule,
      AuditSealerModule,
    ],
  })
  class HarnessModule {}

  const app = await NestFactory.createApplicationContext(HarnessModule, { logger: ['error'] });
  await app.init();
  const config = app.get(AppConfig);
  const prisma = app.get(PrismaService);
  if (options.seed !== false) {
    await seedDatabase(prisma, {
      now: new Date(),
      encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
      feeAccountName: config.FEE_ACCOUNT_NAME,
      hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
    });
  }
  const accounts = await prisma.account.findMany({ orderBy: { name: 'asc' } });
  const as = (role: 'TAKER' | 'MAKER' | 'ADMIN'): Actor[] =>
    accounts.filter((a) => a.role === role).map((a) => ({ accountId: a.id, role, correlationId: null }));
  return {
    app,
    pool: app.get<Pool>(PG_POOL),
    rfqs: app.get(RfqService),
    quotes: app.get(QuoteService),
    auction: app.get(AuctionService),
    ledger: app.get(LedgerCheckService),
    audit: app.get(AuditRepository),
    relay: app.get(OutboxRelayService),
    sweeper: app.get(ExpirySweeper),
    takers: as('TAKER'),
    makers: as('MAKER'),
    admin: as('ADMIN')[0]!,
    close: () => app.close(),
  };
}

export const d = (v: string | number) => new Decimal(v);

/** Runs `fn` and returns the domain error code it threw, or 'ok'. */
export async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

/** A fingerprint of every table's content: equal before and after = nothing changed. */
export async function databaseChecksum(pool: Pool): Promise<Record<string, string>> {
  // fill_markouts is written by delayed analytics jobs 1, 10 and 60 s after earlier fills.
  const { rows } = await pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('_prisma_migrations', 'fill_markouts') ORDER BY tablename`,
  );
  const result: Record<string, string> = {};
  for (const { tablename } of rows) {
    const r = await pool.query<{ h: string | null }>(
      `SELECT md5(coalesce(string_agg(${rowText(tablename)}, '|' ORDER BY ${rowText(tablename)}), '')) AS h FROM "${tablename}" t`,
    );
    result[tablename] = r.rows[0]?.h ?? '';
  }
  return result;
}
