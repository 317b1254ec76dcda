import pg from 'pg';

/** Server-level helpers for tests: each test file gets a database of its own from a template. */
export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq';
export const TEMPLATE_DB = process.env.RFQ_TEST_TEMPLATE ?? 'rfq_test_template';

export function databaseUrl(name: string): string {
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
