import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/core';
import pg from 'pg';
import { PG_POOL } from './db.tokens.js';
import { PrismaService } from './prisma.service.js';

// NUMERIC and BIGINT arrive as strings and stay strings: money never passes through a JS float.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => value);
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

@Global()
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new pg.Pool({
          connectionString: config.DATABASE_URL,
          max: config.DATABASE_POOL_SIZE,
          idleTimeoutMillis: 30_000,
          application_name: 'rfq-platform',
        }),
    },
    PrismaService,
  ],
  exports: [PG_POOL, PrismaService],
})
export class DbModule implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onApplicationShutdown(): Promise<void> {
    // Prisma's $disconnect does not own the pool: end it last, after in-flight work is done.
    await this.pool.end().catch(() => undefined);
  }
}
