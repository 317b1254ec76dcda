import { AppConfig, parseConfig } from '@app/core';
import { seedDatabase } from '@app/db';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { SIM_EPOCH } from './fake-clock.js';

/**
 * Databases of the simulation: one migrated and seeded base per run, cloned (CREATE DATABASE ...
 * TEMPLATE) for every replay, so each replay of a history starts from the same state.
 */

export function databaseUrlFor(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const IDENT = /^[a-z0-9_]+$/;

export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrlFor(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  if (!IDENT.test(name)) throw new Error(`bad database name ${name}`);
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function cloneDatabase(serverUrl: string, template: string, name: string): Promise<string> {
  if (!IDENT.test(name) || !IDENT.test(template)) throw new Error(`bad database name ${name} / ${template}`);
  await dropDatabase(serverUrl, name);
  // A template must have no other sessions: retried briefly in case a pool is still closing.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      return databaseUrlFor(serverUrl, name);
    } catch (error) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Creates `name` with the schema: a clone of `migratedTemplate` when given (the test run's
 * template), else an empty database migrated with `npx prisma migrate deploy`.
 */
export async function createMigratedDatabase(
  serverUrl: string,
  name: string,
  migratedTemplate?: string,
): Promise<string> {
  if (migratedTemplate) return cloneDatabase(serverUrl, migratedTemplate, name);
  await dropDatabase(serverUrl, name);
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = databaseUrlFor(serverUrl, name);
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: 'pipe',
  });
  return url;
}

export const SIM_TAKERS = 5;
export const SIM_MAKERS = 6;

/**
 * The seed's reference data at the simulated epoch, plus extra simulation accounts: more takers
 * and makers than the demo seed has, one maker with a fee rebate, one taker with a credit limit.
 */
export async function seedSimulationDatabase(url: string, config: AppConfig): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  try {
    await seedDatabase(prisma, {
      now: SIM_EPOCH,
      encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
      feeAccountName: config.FEE_ACCOUNT_NAME,
      hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
    });
    for (let i = 1; i <= SIM_TAKERS - 3; i++) {
      await pool.query(
        `INSERT INTO accounts (id, name, role, taker_fee_bps, fee_per_contract, credit_limit_premium)
         VALUES (gen_random_uuid(), $1, 'TAKER', $2, $3, $4)`,
        [`taker-sim-${i}`, String(2 + i), i === 1 ? '0.5' : '0', i === 2 ? '250000' : null],
      );
    }
    for (let i = 1; i <= SIM_MAKERS - 3; i++) {
      await pool.query(
        `INSERT INTO accounts (id, name, role, maker_fee_bps, fee_per_contract) VALUES (gen_random_uuid(), $1, 'MAKER', $2, $3)`,
        [`maker-sim-${i}`, i === 1 ? '-0.5' : String(i), i === 2 ? '0.25' : '0'],
      );
    }
  } finally {
    await prisma.$disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}

export function simConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return AppConfig.from(parseConfig(env));
}
