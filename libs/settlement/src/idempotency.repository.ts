import { Injectable } from '@nestjs/common';
import { ConflictError, DomainError, ErrorKind } from '@app/core';
import { canonicalJson } from '@app/audit';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** A domain rejection replayed from an idempotency record: same code, message and status. */
export class ReplayedDomainError extends DomainError {
  constructor(code: string, message: string, kind: ErrorKind, details: DomainError['details']) {
    super(code, message, kind, details);
  }
}

export function requestHash(scope: string, request: unknown): string {
  return createHash('sha256').update(scope).update('\n').update(canonicalJson(request)).digest('hex');
}

/**
 * Idempotency records live in the same transaction as the work they guard. A concurrent request
 * with the same key waits on the unique index until the first one commits, then reads its result:
 * one booking and identical responses, whatever the interleaving.
 */
@Injectable()
export class IdempotencyRepository {
  /** Claims the key, or returns the stored response of an earlier request with the same key and body. */
  async claim(
    client: PoolClient,
    accountId: string,
    key: string,
    scope: string,
    hash: string,
  ): Promise<StoredResponse | null> {
    const inserted = await client.query(
      `INSERT INTO idempotency_records (account_id, key, scope, request_hash, state) VALUES ($1,$2,$3,$4,'IN_PROGRESS')
       ON CONFLICT DO NOTHING`,
      [accountId, key, scope, hash],
    );
    if (inserted.rowCount === 1) return null;
    const { rows } = await client.query<{
      scope: string;
      request_hash: string;
      response_status: number | null;
      response_body: unknown;
    }>(
      'SELECT scope, request_hash, response_status, response_body FROM idempotency_records WHERE account_id = $1 AND key = $2 FOR UPDATE',
      [accountId, key],
    );
    const row = rows[0];
    if (!row) {
      // The earlier holder of the key rolled back: the retry of the transaction will claim it.
      throw Object.assign(new Error('idempotency key released concurrently'), { code: '40001' });
    }
    if (row.scope !== scope || row.request_hash !== hash) {
      throw new ConflictError(
        'IDEMPOTENCY.KEY_REUSED',
        `idempotency key ${key} was used for a different request`,
      );
    }
    // The body is kept as the exact JSON text first sent, so a replay is byte-for-byte identical.
    const body =
      typeof row.response_body === 'string' ? (JSON.parse(row.response_body) as unknown) : row.response_body;
    return { status: row.response_status ?? 500, body };
  }

  async complete(
    client: PoolClient,
    accountId: string,
    key: string,
    response: StoredResponse,
  ): Promise<void> {
    await client.query(
      `UPDATE idempotency_records SET state = 'COMPLETED', response_status = $3, response_body = $4::jsonb, completed_at = now()
        WHERE account_id = $1 AND key = $2`,
      [accountId, key, response.status, JSON.stringify(JSON.stringify(response.body))],
    );
  }
}
