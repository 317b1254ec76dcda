import { InjectQueue } from '@nestjs/bullmq';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { AppConfig, EVENT_ROUTES, OutboxEventJob, QUEUES } from '@app/core';
import { PG_POOL, runInTransaction } from '@app/db';
import { Queue } from 'bullmq';
import pg from 'pg';
import { BusEvent, EventBus } from './event-bus.js';
import { OUTBOX_CHANNEL, OutboxRepository } from './outbox.repository.js';

const BATCH = 200;

/**
 * Moves committed outbox events to the gateways' pub/sub and, where a worker acts on them
 * (`EVENT_ROUTES`), to BullMQ (job id = event id), then marks them published. Rows are claimed with SKIP LOCKED, so any number
 * of engines can relay at once; publishing is at-least-once and every consumer is idempotent.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayService.name);
  private listener: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @InjectQueue(QUEUES.events) private readonly queue: Queue<OutboxEventJob>,
    @InjectQueue(QUEUES.rfqBroadcast) private readonly rfqBroadcast: Queue<OutboxEventJob>,
    @InjectQueue(QUEUES.hedge) private readonly hedge: Queue<OutboxEventJob>,
    private readonly outbox: OutboxRepository,
    private readonly bus: EventBus,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.listener = new pg.Client({ connectionString: this.config.DATABASE_URL });
    this.listener.on('notification', () => this.kick());
    this.listener.on('error', (error) => this.logger.warn(`outbox listener: ${error.message}`));
    await this.listener.connect();
    await this.listener.query(`LISTEN ${OUTBOX_CHANNEL}`);
    // Polling is the backstop for a lost notification or a dropped listener connection.
    this.timer = setInterval(() => this.kick(), Math.max(this.config.OUTBOX_POLL_MS, 20));
    this.kick();
  }

  // Before shutdown, not on it: the BullMQ queues it publishes to are closed by then.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /** Starts a drain, or asks the running one to go round again. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn(`outbox relay: ${String(error)}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Relays until no pending event is left. Returns how many were published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await runInTransaction(this.pool, async (client) => {
        const rows = await this.outbox.claimBatch(client, BATCH);
        if (rows.length === 0) return 0;
        const jobs = rows.map((r) => ({
          eventId: r.id,
          type: r.type,
          aggregateType: r.aggregateType,
          aggregateId: r.aggregateId,
          payload: r.payload,
          correlationId: r.correlationId,
          createdAt: r.createdAt.toISOString(),
        }));
        const busEvents: BusEvent[] = jobs.map((j) => ({
          id: j.eventId,
          type: j.type,
          aggregateId: j.aggregateId,
          payload: j.payload,
          correlationId: j.correlationId,
          createdAt: j.createdAt,
        }));
        await this.bus.publish(busEvents);
        const opts = (data: OutboxEventJob) => ({
          jobId: data.eventId,
          removeOnComplete: 10_000,
          removeOnFail: 50_000,
          attempts: 10,
          backoff: { type: 'exponential' as const, delay: 200 },
        });
        const routed: Array<[string, Queue<OutboxEventJob>]> = [
          [QUEUES.events, this.queue],
          [QUEUES.rfqBroadcast, this.rfqBroadcast],
          [QUEUES.hedge, this.hedge],
        ];
        await Promise.all(
          routed.map(([name, queue]) => {
            const mine = jobs.filter((j) => EVENT_ROUTES[j.type]?.some((q) => q === name));
            return mine.length > 0
              ? queue.addBulk(mine.map((data) => ({ name: data.type, data, opts: opts(data) })))
              : Promise.resolve([]);
          }),
        );
        await this.outbox.markPublished(
          client,
          rows.map((r) => r.id),
        );
        return rows.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  }
}
