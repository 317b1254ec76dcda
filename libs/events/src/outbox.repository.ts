import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';

export interface NewOutboxEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  correlationId: string | null;
}

export interface OutboxRow extends NewOutboxEvent {
  id: string;
  seq: string;
  createdAt: Date;
}

/** Wakes the relay as soon as a transaction with events commits (NOTIFY is delivered at commit). */
export const OUTBOX_CHANNEL = 'outbox';

@Injectable()
export class OutboxRepository {
  /** Writes events inside the caller's transaction: they exist if and only if the change commits. */
  async append(client: PoolClient, events: NewOutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const values: unknown[] = [];
    const tuples = events.map((e, i) => {
      values.push(e.type, e.aggregateType, e.aggregateId, JSON.stringify(e.payload), e.correlationId);
      const b = i * 5;
      return `(gen_random_uuid(), $${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::jsonb, $${b + 5})`;
    });
    await client.query(
      `INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, correlation_id) VALUES ${tuples.join(',')}`,
      values,
    );
    await client.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  }

  /** Claims a batch of unpublished events; concurrent relays skip each other's rows. */
  async claimBatch(client: PoolClient, limit: number): Promise<OutboxRow[]> {
    const { rows } = await client.query<{
      id: string;
      seq: string;
      type: string;
      aggregate_type: string;
      aggregate_id: string;
      payload: Record<string, unknown>;
      correlation_id: string | null;
      created_at: Date;
    }>(
      `SELECT id, seq, type, aggregate_type, aggregate_id, payload, correlation_id, created_at
         FROM outbox_events WHERE state = 'PENDING' ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      type: r.type,
      aggregateType: r.aggregate_type,
      aggregateId: r.aggregate_id,
      payload: r.payload,
      correlationId: r.correlation_id,
      createdAt: r.created_at,
    }));
  }

  async markPublished(client: PoolClient, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await client.query(
      `UPDATE outbox_events SET state = 'PUBLISHED', published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }
}
