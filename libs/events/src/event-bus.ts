import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/core';
import { REDIS, redisOptions } from '@app/db';
import { Redis } from 'ioredis';

/**
 * An outbox event as it travels over Redis pub/sub to every gateway instance. The same event
 * usually arrives twice (pushed right after its commit, then by the relay): subscribers that act
 * on it drop repeats by `id` (see `RecentIds`).
 */
export interface BusEvent {
  id: string;
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  correlationId: string | null;
  createdAt: string;
  /** Re-published on purpose (an undelivered confirmation): not to be dropped as a repeat. */
  redelivery?: boolean;
}

/**
 * Fan-out of relayed events to every gateway instance (Redis pub/sub). Not durable by design:
 * PostgreSQL holds every event and every fill, and the relay and the confirmation sweeper re-drive
 * what a subscriber may have missed.
 */
@Injectable()
export class EventBus implements OnApplicationShutdown {
  private subscriber: Redis | null = null;
  private readonly handlers = new Set<(event: BusEvent) => void>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  get channel(): string {
    return `${this.config.QUEUE_PREFIX}:events`;
  }

  async publish(events: BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const event of events) pipeline.publish(this.channel, JSON.stringify(event));
    await pipeline.exec();
  }

  async subscribe(handler: (event: BusEvent) => void): Promise<() => void> {
    this.handlers.add(handler);
    if (!this.subscriber) {
      this.subscriber = new Redis(redisOptions(this.config.REDIS_URL));
      this.subscriber.on('message', (_channel: string, message: string) => {
        const event = JSON.parse(message) as BusEvent;
        for (const h of this.handlers) h(event);
      });
      await this.subscriber.subscribe(this.channel);
    }
    return () => this.handlers.delete(handler);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}

/** Remembers event ids seen in the last `ttlMs`, to drop the relay's repeat of an early push. */
export class RecentIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt = Date.now();

  constructor(private readonly ttlMs = 30_000) {}

  /** True the first time an id is seen within the window. */
  firstSight(id: string, now = Date.now()): boolean {
    if (now - this.rotatedAt > this.ttlMs) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }
}
