import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
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
      useFactory: (config: AppConfig) => {
        const pool = new pg.Pool({
          connectionString: config.DATABASE_URL,
          max: config.DATABASE_POOL_SIZE,
          idleTimeoutMillis: 30_000,
          // A saturated pool answers 503 after a bound instead of queueing requests forever.
          connectionTimeoutMillis: 10_000,
          application_name: 'rfq-platform',
        });
        // An idle client dropped by the server (restart, pg_terminate_backend) must not crash the
        // process: the pool discards it and the next query opens a fresh connection.
        pool.on('error', (error) => new Logger('pg-pool').warn(`idle connection lost: ${error.message}`));
        return pool;
      },
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
