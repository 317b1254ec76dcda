import { Injectable, Logger, Optional } from '@nestjs/common';
import { afterCommit } from '@app/db';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { EventBus } from './event-bus.js';

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
  private readonly logger = new Logger(OutboxRepository.name);

  constructor(@Optional() private readonly bus: EventBus | null = null) {}

  /**
   * Writes events inside the caller's transaction: they exist if and only if the change commits.
   * Once it commits they are also pushed straight to the gateways (best effort, ahead of the
   * relay, which publishes them again: subscribers drop the repeat by event id).
   */
  async append(client: PoolClient, events: NewOutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const createdAt = new Date();
    const values: unknown[] = [];
    const ids: string[] = [];
    const tuples = events.map((e, i) => {
      const id = randomUUID();
      ids.push(id);
      values.push(
        id,
        e.type,
        e.aggregateType,
        e.aggregateId,
        JSON.stringify(e.payload),
        e.correlationId,
        createdAt,
      );
      const b = i * 7;
      return `($${b + 1}::uuid, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6}, $${b + 7})`;
    });
    // One round trip: the NOTIFY rides on the insert (a data-modifying CTE always runs).
    // Prepared once per connection and batch size.
    await client.query({
      name: `outbox-append-${events.length}`,
      text: `WITH ins AS (INSERT INTO outbox_events (id, type, aggregate_type, aggregate_id, payload, correlation_id, created_at) VALUES ${tuples.join(',')})
       SELECT pg_notify('${OUTBOX_CHANNEL}', '')`,
      values,
    });
    const bus = this.bus;
    if (!bus) return;
    afterCommit(client, () => {
      bus
        .publish(
          events.map((e, i) => ({
            id: ids[i]!,
            type: e.type,
            aggregateId: e.aggregateId,
            // The stored form: what the relay will publish for the same id.
            payload: JSON.parse(JSON.stringify(e.payload)) as Record<string, unknown>,
            correlationId: e.correlationId,
            createdAt: createdAt.toISOString(),
          })),
        )
        .catch((error: unknown) =>
          this.logger.warn(`early publish (the relay will cover it): ${String(error)}`),
        );
    });
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
