import { describe, expect, it } from '@jest/globals';
import { isSnapshotFresh, snapshotAge } from './freshness.js';
import type { MarketSnapshot } from './market-snapshot.js';

const at = (timestamp: number): MarketSnapshot => ({
  underlying: 'ETH',
  spot: 3_500,
  timestamp,
  atmVol: 0.7,
  skew: -0.1,
  surface: { smile: 1, termSlope: 0, carry: 0, referenceYears: 30 / 365 },
  source: 'simulator',
});

describe('staleness rule', () => {
  it('is fresh up to and including the maximum age, stale after', () => {
    expect(isSnapshotFresh(at(10_000), 10_000, 5_000)).toBe(true);
    expect(isSnapshotFresh(at(10_000), 15_000, 5_000)).toBe(true);
    expect(isSnapshotFresh(at(10_000), 15_001, 5_000)).toBe(false);
  });

  it('is never fresh without a snapshot', () => {
    expect(isSnapshotFresh(undefined, 0, 5_000)).toBe(false);
    expect(snapshotAge(undefined, 0)).toBe(Infinity);
  });

  it('treats a timestamp ahead of the local clock as age 0 (clock skew)', () => {
    expect(isSnapshotFresh(at(20_000), 10_000, 5_000)).toBe(true);
    expect(snapshotAge(at(20_000), 10_000)).toBe(0);
  });

  it('resumes as soon as a newer snapshot arrives', () => {
    const now = 100_000;
    expect(isSnapshotFresh(at(now - 6_000), now, 5_000)).toBe(false);
    expect(isSnapshotFresh(at(now - 10), now, 5_000)).toBe(true);
  });
});
