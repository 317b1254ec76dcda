// Runs once per jest run, outside the ESM module graph (no relative imports here).
// Migrates a template database; every test file clones it (CREATE DATABASE ... TEMPLATE).
import { execFileSync } from 'node:child_process';
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
  const admin = new URL(base);
  admin.pathname = '/postgres';
  // One template per run (workers inherit the variable), so concurrent runs never collide.
  const name = `rfq_test_template_${process.pid}`;
  process.env.RFQ_TEST_TEMPLATE = name;
  const template = new URL(base);
  template.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    // Templates left by runs that were killed before their teardown.
    const stale = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'rfq_test_template_%' AND datname <> $1`,
      [name],
    );
    for (const { datname } of stale.rows) {
      const pid = Number(datname.split('_').pop());
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: template.toString() },
    stdio: 'pipe',
  });
}
