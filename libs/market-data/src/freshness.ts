import type { MarketSnapshot } from './market-snapshot.js';

/**
 * The quoting gate: an underlying is fresh while its latest snapshot is at most `maxAgeMs` old. No
 * snapshot is never fresh. A timestamp slightly ahead of the local clock (venue or host clock skew)
 * counts as age 0, so a fast clock elsewhere does not stop quoting here.
 */
export function isSnapshotFresh(
  snapshot: MarketSnapshot | undefined,
  now: number,
  maxAgeMs: number,
): boolean {
  if (snapshot === undefined) return false;
  return now - snapshot.timestamp <= maxAgeMs;
}

/** Age in ms (never negative), Infinity without a snapshot: for logs and health. */
export function snapshotAge(snapshot: MarketSnapshot | undefined, now: number): number {
  if (snapshot === undefined) return Infinity;
  return Math.max(0, now - snapshot.timestamp);
}
