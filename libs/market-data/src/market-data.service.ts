import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/core';
import { REDIS, redisOptions } from '@app/db';
import { Redis } from 'ioredis';
import { MarketDataUnavailableError } from './market-data.errors.js';
import { snapshotKey, underlyingsKey, updatesChannel } from './market-data.keys.js';
import { isSnapshotFresh, snapshotAge } from './freshness.js';
import {
  type InstrumentGreeks,
  type MarketSnapshot,
  parseSnapshot,
  type PricedInstrument,
  valueInstrument,
  type Valuation,
} from './market-snapshot.js';

export type SnapshotHandler = (snapshot: MarketSnapshot) => void;

/**
 * The market as every pricing process (quoter, gateway, engine) sees it: the latest snapshot per
 * underlying, loaded from Redis at start and kept current from the pub/sub channel. Pricing is
 * refused (MarketDataUnavailableError) for an underlying whose data is older than
 * MARKET_DATA_MAX_AGE_MS, and works again as soon as a fresh snapshot arrives.
 */
@Injectable()
export class MarketDataService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MarketDataService.name);
  private readonly snapshots = new Map<string, MarketSnapshot>();
  private readonly handlers = new Set<SnapshotHandler>();
  // Subscribe mode blocks a connection for anything else, so it cannot be the shared REDIS client.
  private subscriber: Redis | null = null;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  get maxAgeMs(): number {
    return this.config.MARKET_DATA_MAX_AGE_MS;
  }

  async onModuleInit(): Promise<void> {
    const prefix = this.config.QUEUE_PREFIX;
    const subscriber = new Redis(redisOptions(this.config.REDIS_URL));
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    subscriber.on('error', (error: Error) => this.logger.warn(`subscriber: ${error.message}`));
    // Subscribe before reading the keys: an update published in between is then not lost, and
    // accept() keeps whichever of the two is newer.
    await subscriber.subscribe(updatesChannel(prefix));
    const underlyings = await this.redis.smembers(underlyingsKey(prefix));
    if (underlyings.length === 0) return;
    const values = await this.redis.mget(underlyings.map((u) => snapshotKey(prefix, u)));
    for (const value of values) {
      const snapshot = value === null ? null : parseSnapshot(value);
      if (snapshot !== null) this.accept(snapshot);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = null;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  /** Underlyings with a snapshot (fresh or not). */
  underlyings(): string[] {
    return [...this.snapshots.keys()];
  }

  latest(underlying: string): MarketSnapshot | undefined {
    return this.snapshots.get(underlying);
  }

  isFresh(underlying: string, now: number = Date.now()): boolean {
    return isSnapshotFresh(this.snapshots.get(underlying), now, this.config.MARKET_DATA_MAX_AGE_MS);
  }

  /** The latest snapshot if fresh; throws MarketDataUnavailableError otherwise. */
  fresh(underlying: string, now: number = Date.now()): MarketSnapshot {
    const snapshot = this.snapshots.get(underlying);
    if (snapshot === undefined || !isSnapshotFresh(snapshot, now, this.config.MARKET_DATA_MAX_AGE_MS)) {
      throw new MarketDataUnavailableError(underlying, snapshotAge(snapshot, now));
    }
    return snapshot;
  }

  /** Mark, forward, vol and Greeks on fresh data (throws MarketDataUnavailableError otherwise). */
  value(instrument: PricedInstrument, now: Date = new Date()): Valuation {
    return valueInstrument(this.fresh(instrument.underlying, now.getTime()), instrument, now);
  }

  /** Mark per unit of underlying in USDC on fresh data (see `markFor`). */
  mark(instrument: PricedInstrument, now: Date = new Date()): number {
    return this.value(instrument, now).price;
  }

  /** Per-contract Greeks on fresh data (see `greeksFor`). */
  greeks(instrument: PricedInstrument, now: Date = new Date()): InstrumentGreeks {
    return this.value(instrument, now).greeks;
  }

  /** Called with every newer snapshot; returns the unsubscribe function. */
  onUpdate(handler: SnapshotHandler): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  private receive(message: string): void {
    const snapshot = parseSnapshot(message);
    if (snapshot === null) {
      this.logger.warn('ignored an invalid market data message');
      return;
    }
    this.accept(snapshot);
  }

  /** Newest timestamp wins, so a replayed or reordered message cannot move the market back. */
  private accept(snapshot: MarketSnapshot): void {
    const current = this.snapshots.get(snapshot.underlying);
    if (current !== undefined && current.timestamp > snapshot.timestamp) return;
    this.snapshots.set(snapshot.underlying, snapshot);
    for (const handler of this.handlers) {
      try {
        handler(snapshot);
      } catch (error) {
        this.logger.error(
          `market data handler failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
