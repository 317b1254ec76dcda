// Runs once per jest run, outside the ESM module graph (no relative imports here).
// Migrates a template database; every test file clones it (CREATE DATABASE ... TEMPLATE).
import { execFileSync } from 'node:child_process';
import pg from 'pg';

export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const template = new URL(base);
  template.pathname = '/rfq_test_template';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query('DROP DATABASE IF EXISTS rfq_test_template WITH (FORCE)');
    await client.query('CREATE DATABASE rfq_test_template');
  } finally {
    await client.end();
  }
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: template.toString() },
    stdio: 'pipe',
  });
}
