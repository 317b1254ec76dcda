import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import type { Pool } from 'pg';
import { BusEvent, EventBus } from './event-bus.js';

const EVERY_MS = 2_000;
const OLDER_THAN_MS = 2_000;
const BATCH = 200;
/** After this a confirmation is left for the client to read over REST (GET /v1/trades). */
const GIVE_UP_AFTER_MS = 60 * 60 * 1000;

/**
 * Confirmations are pushed to sockets through Redis pub/sub, which keeps nothing: a gateway that
 * was down, a socket that was reconnecting or a Redis restart can miss one. Until a gateway marks
 * a confirmation delivered, this re-publishes its fill event (clients de-duplicate on eventId).
 */
@Injectable()
export class ConfirmationRedriver implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConfirmationRedriver.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.redrive()
        .catch((error: unknown) => this.logger.warn(`confirmation re-drive: ${String(error)}`))
        .finally(() => (this.running = null));
    }, EVERY_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async redrive(now = Date.now()): Promise<number> {
    const { rows } = await this.pool.query<{
      id: string;
      type: string;
      aggregate_id: string;
      payload: Record<string, unknown>;
      correlation_id: string | null;
      created_at: Date;
    }>(
      `SELECT DISTINCT ON (o.aggregate_id) o.id, o.type, o.aggregate_id, o.payload, o.correlation_id, o.created_at
         FROM trade_confirmations c JOIN outbox_events o ON o.aggregate_id = c.fill_id::text AND o.type = 'fill.booked'
        WHERE c.state = 'PENDING' AND c.created_at < $1 AND c.created_at > $2 AND o.state = 'PUBLISHED'
        ORDER BY o.aggregate_id LIMIT $3`,
      [new Date(now - OLDER_THAN_MS), new Date(now - GIVE_UP_AFTER_MS), BATCH],
    );
    const events: BusEvent[] = rows.map((r) => ({
      id: r.id,
      type: r.type,
      aggregateId: r.aggregate_id,
      payload: r.payload,
      correlationId: r.correlation_id,
      createdAt: r.created_at.toISOString(),
      redelivery: true,
    }));
    await this.bus.publish(events);
    return events.length;
  }
}
