import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/core';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PG_POOL } from './db.tokens.js';

/*
 * Two start-up concerns of the database connection:
 *  - the migration check: an app refuses to start against a database whose migrations are behind
 *    the code (one clear line on stderr, exit code 1);
 *  - READ_POOL: the pool for admin and analytics reads, on the read replica when DATABASE_READ_URL
 *    is set, else the primary pool itself.
 */

/** Where the migrations are: MIGRATIONS_DIR, else prisma/migrations under the working directory or the repository. */
export function locateMigrationsDir(configured?: string): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    configured,
    path.resolve(process.cwd(), 'prisma/migrations'),
    // libs/db/src (sources, tests) and dist/libs/db/src (built apps)
    path.resolve(here, '../../../prisma/migrations'),
    path.resolve(here, '../../../../prisma/migrations'),
  ].filter((c): c is string => !!c);
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Migration directory names, in the order Prisma applies them. */
export function migrationNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort();
}

export interface MigrationStatus {
  expected: string[];
  /** In the code, not (successfully) applied to the database. */
  pending: string[];
  /** Started and neither finished nor rolled back: needs `prisma migrate resolve`. */
  failed: string[];
  /** Applied to the database, unknown to this code (a newer release migrated it: allowed). */
  unknown: string[];
}

export async function migrationStatus(databaseUrl: string, dir: string): Promise<MigrationStatus> {
  const expected = migrationNames(dir);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'rfq-migration-check' });
  await client.connect();
  try {
    const { rows } = await client
      .query<{ name: string; finished: boolean; rolled_back: boolean }>(
        `SELECT migration_name AS name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
           FROM _prisma_migrations`,
      )
      .catch((error: { code?: string }) => {
        if (error.code === '42P01') return { rows: [] }; // no migration table: nothing applied
        throw error;
      });
    const applied = new Set(rows.filter((r) => r.finished && !r.rolled_back).map((r) => r.name));
    const failed = rows.filter((r) => !r.finished && !r.rolled_back).map((r) => r.name);
    return {
      expected,
      pending: expected.filter((n) => !applied.has(n)),
      failed,
      unknown: [...applied].filter((n) => !expected.includes(n)).sort(),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The one line an app prints when it refuses to start, or null when the database is current. */
export function describeMigrationProblem(status: MigrationStatus): string | null {
  if (status.failed.length > 0) {
    return `Database migration failed and needs attention: ${status.failed.join(', ')} (see prisma migrate resolve)`;
  }
  if (status.pending.length > 0) {
    const n = status.pending.length;
    return `Database is behind: ${n} migration${n === 1 ? '' : 's'} not applied (${status.pending.join(', ')}); run npm run db:migrate`;
  }
  return null;
}

/**
 * Entry points call this before building the application: exit 1 with one line when migrations
 * are behind, failed, or the database cannot be reached within `waitMs` (it retries meanwhile).
 */
export async function assertMigrationsApplied(
  databaseUrl: string,
  options: {
    dir?: string | null;
    configuredDir?: string;
    waitMs?: number;
    warn?: (line: string) => void;
  } = {},
): Promise<void> {
  const dir = options.dir === undefined ? locateMigrationsDir(options.configuredDir) : options.dir;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!dir) {
    warn('Migration check skipped: no prisma/migrations directory found (set MIGRATIONS_DIR)');
    return;
  }
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let status: MigrationStatus;
  for (;;) {
    try {
      status = await migrationStatus(databaseUrl, dir);
      break;
    } catch (error) {
      if (Date.now() >= deadline) {
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(`Cannot check database migrations: ${message}\n`);
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const problem = describeMigrationProblem(status);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  if (status.unknown.length > 0) {
    warn(
      `Database has ${status.unknown.length} migration(s) newer than this code: ${status.unknown.join(', ')}`,
    );
  }
}

/** The pool for admin and analytics reads: the replica (DATABASE_READ_URL) or the primary pool. */
export const READ_POOL = Symbol('READ_POOL');

@Global()
@Module({
  providers: [
    {
      provide: READ_POOL,
      inject: [AppConfig, PG_POOL],
      useFactory: (config: AppConfig, primary: pg.Pool): pg.Pool =>
        config.DATABASE_READ_URL
          ? new pg.Pool({
              connectionString: config.DATABASE_READ_URL,
              max: config.DATABASE_POOL_SIZE,
              idleTimeoutMillis: 30_000,
              connectionTimeoutMillis: 10_000,
              application_name: 'rfq-platform-read',
            }).on('error', () => undefined) // a dropped idle connection is simply discarded
          : primary,
    },
  ],
  exports: [READ_POOL],
})
export class ReadPoolModule implements OnApplicationShutdown {
  constructor(
    @Inject(READ_POOL) private readonly read: pg.Pool,
    @Inject(PG_POOL) private readonly primary: pg.Pool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.read !== this.primary) await this.read.end().catch(() => undefined);
  }
}
