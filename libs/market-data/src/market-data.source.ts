import type { MarketSnapshot } from './market-snapshot.js';

/** Nest token of the configured `MarketDataSource` (only where market data is published). */
export const MARKET_DATA_SOURCE = Symbol('MARKET_DATA_SOURCE');

export type SnapshotListener = (snapshot: MarketSnapshot) => void;

/**
 * Where snapshots come from: the seeded simulator or a venue feed. `start` begins delivering snapshots
 * to the listener (any number per underlying, in order); `stop` ends every timer and connection so
 * that nothing keeps the process alive. Both are idempotent, and a stopped source can start again.
 */
export interface MarketDataSource {
  readonly name: string;
  start(listener: SnapshotListener): Promise<void>;
  stop(): Promise<void>;
}
