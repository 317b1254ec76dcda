import { UnavailableError } from '@app/core';
import type { Pool, PoolClient } from 'pg';

/** SQLSTATEs worth retrying: serialization failure, deadlock, and lost connections. */
const RETRYABLE = new Set(['40001', '40P01', '57P01', '08006', '08003', '08000']);

export interface TransactionOptions {
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  maxAttempts?: number;
}

/**
 * Work to run once the transaction on a client has committed (never on rollback), such as pushing
 * its events to live subscribers ahead of the outbox relay. Only transactions run by
 * `runInTransaction` collect it; elsewhere `afterCommit` is a no-op.
 */
const commitHooks = new WeakMap<PoolClient, Array<Array<() => void>>>();

export function afterCommit(client: PoolClient, hook: () => void): void {
  const frames = commitHooks.get(client);
  frames?.[frames.length - 1]?.push(hook);
}

/** A savepoint for hooks: `rollbackHooksToSavepoint` drops those added since (mirror SAVEPOINT). */
export function savepointHooks(client: PoolClient): void {
  commitHooks.get(client)?.push([]);
}

export function rollbackHooksToSavepoint(client: PoolClient): void {
  const frames = commitHooks.get(client);
  if (frames && frames.length > 1) frames[frames.length - 1] = [];
}

/** `pg.Pool` gave up waiting for a free connection (`connectionTimeoutMillis`). */
export function isPoolTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/.test(error.message);
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
      commitHooks.set(client, [[]]);
      const result = await work(client);
      await client.query('COMMIT');
      const hooks = commitHooks.get(client)?.flat() ?? [];
      commitHooks.delete(client);
      client.release();
      for (const hook of hooks) hook();
      return result;
    } catch (error) {
      if (client) {
        commitHooks.delete(client);
        const broken = await client.query('ROLLBACK').then(
          () => false,
          () => true,
        );
        client.release(broken ? (error as Error) : undefined);
      }
      // No connection within the pool's bound: the platform is saturated, retrying would add load.
      if (!client && isPoolTimeout(error)) throw new UnavailableError();
      if (!isRetryableDbError(error)) throw error;
      if (attempt >= maxAttempts) throw new UnavailableError();
      await sleep(Math.random() * 5 * 2 ** attempt);
    }
  }
}
