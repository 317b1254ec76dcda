import { UnavailableError } from '@app/core';
import type { Pool, PoolClient } from 'pg';

/** SQLSTATEs worth retrying: serialization failure, deadlock, and lost connections. */
const RETRYABLE = new Set(['40001', '40P01', '57P01', '08006', '08003', '08000']);

export interface TransactionOptions {
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  maxAttempts?: number;
}

export function isRetryableDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|ECONNRESET|ECONNREFUSED|terminating connection/.test(message);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `work` in one PostgreSQL transaction on a pooled client, retrying the whole unit of work on
 * serialization failures and deadlocks with bounded, jittered backoff. A caller never sees a raw
 * retryable error: past the last attempt it gets `SERVICE.UNAVAILABLE`.
 */
export async function runInTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await client.query(options.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation}` : 'BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      if (client) {
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.release(broken ? (error as Error) : undefined);
      }
      if (!isRetryableDbError(error)) throw error;
      if (attempt >= maxAttempts) throw new UnavailableError();
      await sleep(Math.random() * 5 * 2 ** attempt);
    }
  }
}
