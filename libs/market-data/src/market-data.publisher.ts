import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { AppConfig } from '@app/core';
import { REDIS } from '@app/db';
import type { Redis } from 'ioredis';
import { snapshotKey, underlyingsKey, updatesChannel } from './market-data.keys.js';
import { MARKET_DATA_SOURCE, type MarketDataSource } from './market-data.source.js';
import type { MarketSnapshot } from './market-snapshot.js';

/** Old keys expire eventually; staleness itself is decided from the snapshot's timestamp. */
const SNAPSHOT_TTL_SECONDS = 24 * 60 * 60;

/**
 * Runs in the engine (one publisher per deployment): takes snapshots from the configured source and
 * writes each as the underlying's latest-snapshot key and a pub/sub message, in one MULTI so a reader
 * never sees a message newer than the key. Under Redis back-pressure, snapshots queued for the same
 * underlying collapse to the newest: only the latest market matters.
 */
@Injectable()
export class MarketDataPublisher
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(MarketDataPublisher.name);
  private readonly queued = new Map<string, MarketSnapshot>();
  private flushing: Promise<void> | null = null;
  private running = false;
  private publishedCount = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
    @Inject(MARKET_DATA_SOURCE) private readonly source: MarketDataSource,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Snapshots written to Redis since construction. */
  get published(): number {
    return this.publishedCount;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.logger.log(`publishing market data from the ${this.source.name} source`);
    await this.source.start((snapshot) => this.enqueue(snapshot));
  }

  /** Stops the source and waits for the snapshots already taken to reach Redis. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.source.stop();
    await this.flushing;
  }

  // Before any onApplicationShutdown hook: the shared Redis connection must still be open to drain.
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private enqueue(snapshot: MarketSnapshot): void {
    if (!this.running) return;
    this.queued.set(snapshot.underlying, snapshot);
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
  }

  private async flush(): Promise<void> {
    while (this.queued.size > 0) {
      const batch = [...this.queued.values()];
      this.queued.clear();
      try {
        await this.publish(batch);
        this.publishedCount += batch.length;
      } catch (error) {
        // The next tick carries a newer snapshot; consumers see the gap as age meanwhile.
        this.logger.warn(
          `market data publish failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  private async publish(batch: readonly MarketSnapshot[]): Promise<void> {
    const prefix = this.config.QUEUE_PREFIX;
    const tx = this.redis.multi();
    for (const snapshot of batch) {
      const json = JSON.stringify(snapshot);
      tx.set(snapshotKey(prefix, snapshot.underlying), json, 'EX', SNAPSHOT_TTL_SECONDS);
      tx.sadd(underlyingsKey(prefix), snapshot.underlying);
      tx.publish(updatesChannel(prefix), json);
    }
    const results = await tx.exec();
    const failed = results?.find(([error]) => error !== null);
    if (results === null) throw new Error('transaction aborted');
    if (failed !== undefined) throw failed[0] as Error;
  }
}
