// Drops this run's template database (see global-setup.ts).
import pg from 'pg';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.RFQ_TEST_TEMPLATE;
  if (!name) return;
  const admin = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
