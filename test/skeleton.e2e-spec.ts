import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { freePort, RunningProcess, startProcess } from './support/processes.js';
import { createTestEnv, TestEnv } from './support/test-env.js';

/** The skeleton: the built apps boot against the real services, the seed loads, migrations are idempotent. */
describe('platform skeleton', () => {
  let env: TestEnv;
  let db: pg.Client;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    env = await createTestEnv('skeleton');
    db = new pg.Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await db.end();
    await env.drop();
  });

  const count = async (table: string) =>
    Number((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

  it('loads the seed: option chains, futures, perpetuals, demo accounts and their keys', async () => {
    const out = execFileSync(process.execPath, ['dist/scripts/seed.js'], {
      env: { ...process.env, ...env.overrides },
    }).toString();
    expect(out).toMatch(/seeded 154 instruments and 9 accounts/);
    expect(await count(`instruments WHERE kind = 'OPTION'`)).toBe(144);
    expect(await count(`instruments WHERE kind = 'FUTURE'`)).toBe(8);
    expect(await count(`instruments WHERE kind = 'PERPETUAL'`)).toBe(2);
    expect(await count(`accounts WHERE role = 'TAKER'`)).toBe(3);
    expect(await count(`accounts WHERE role = 'MAKER'`)).toBe(3);
    expect(await count(`accounts WHERE role = 'ADMIN'`)).toBe(1);
    expect(await count('api_keys')).toBe(7);
    expect(await count(`maker_strategies WHERE enabled`)).toBe(2);
    // Seeding again changes nothing and issues no new key.
    const again = execFileSync(process.execPath, ['dist/scripts/seed.js'], {
      env: { ...process.env, ...env.overrides },
    }).toString();
    expect(again).toMatch(/issued by an earlier seed/);
    expect(await count('api_keys')).toBe(7);
    expect(await count('instruments')).toBe(154);
  });

  it('applies migrations a second time as a no-op', async () => {
    const schema = async () =>
      (
        await db.query(
          `SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name) AS s
             FROM information_schema.columns WHERE table_schema = 'public'`,
        )
      ).rows[0].s as string;
    const before = await schema();
    const migrationsBefore = await count('_prisma_migrations');
    const out = execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: env.databaseUrl },
    }).toString();
    expect(out).toMatch(/No pending migrations to apply/);
    expect(await schema()).toBe(before);
    expect(await count('_prisma_migrations')).toBe(migrationsBefore);
  });

  it('boots gateway, engine and quoter against PostgreSQL and Redis; /health is green', async () => {
    const port = await freePort();
    const appEnv = { ...env.overrides, PORT: String(port), LOG_LEVEL: 'info' };
    running.push(await startProcess('dist/apps/gateway/src/main.js', appEnv, /listening on/));
    running.push(await startProcess('dist/apps/engine/src/main.js', appEnv, /engine running/));
    running.push(await startProcess('dist/apps/quoter/src/main.js', appEnv, /quoter running/));

    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as {
      status: string;
      checks: Record<string, { ok: boolean }>;
      warnings: string[];
    };
    expect(health.status).not.toBe('down');
    expect(health.checks.postgres!.ok).toBe(true);
    expect(health.checks.redis!.ok).toBe(true);
    expect(health.checks.queues!.ok).toBe(true);

    // Every app stops cleanly on SIGTERM.
    const codes = await Promise.all(running.splice(0).map((p) => p.stop('SIGTERM')));
    expect(codes).toEqual([0, 0, 0]);
  });

  it('refuses to start with a malformed variable, naming it in one line', async () => {
    let stderr = '';
    try {
      execFileSync(process.execPath, ['dist/apps/gateway/src/main.js'], {
        env: { ...process.env, ...env.overrides, REDIS_URL: 'http://nope' },
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
      expect((error as { status: number }).status).toBe(1);
    }
    expect(stderr.trim()).toBe('Invalid configuration: REDIS_URL: must be a redis:// URL');
  });
});
