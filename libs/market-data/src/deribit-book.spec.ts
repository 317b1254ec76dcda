import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DeribitBook } from './deribit-book.js';
import { type DeribitMessage, parseDeribitFrame } from './deribit-frames.js';
import { parseSnapshot, surfaceFor, volFor } from './market-snapshot.js';

interface Session {
  recordedAt: string;
  truth: { atmVol: number; skew: number; smile: number; termSlope: number; carry: number };
  frames: unknown[];
}

const session = (name: string): Session =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/deribit/${name}`, import.meta.url), 'utf8'));

const messages = (s: Session): DeribitMessage[] =>
  s.frames.map((f) => {
    const r = parseDeribitFrame(JSON.stringify(f));
    if (!r.ok) throw new Error(r.error);
    return r.message;
  });

describe('DeribitBook on recorded sessions', () => {
  it.each([
    ['btc-session.json', 'BTC', 86_543.21],
    ['eth-session.json', 'ETH', 2_210.55],
  ])('calibrates %s into a snapshot close to the market it was recorded from', (file, underlying, spot) => {
    const s = session(file);
    const now = Date.parse(s.recordedAt);
    const book = new DeribitBook({ underlyings: ['BTC', 'ETH'] });
    for (const m of messages(s)) book.apply(m);
    const snapshot = book.snapshot(underlying, now);
    expect(snapshot).not.toBeNull();
    expect(snapshot).toMatchObject({ underlying, spot, timestamp: now, source: 'deribit' });
    expect(snapshot!.atmVol).toBeCloseTo(s.truth.atmVol, 2);
    expect(snapshot!.skew).toBeCloseTo(s.truth.skew, 1);
    expect(snapshot!.skew).toBeLessThan(0);
    // One option ticker carries a forward: the basis is estimated from it.
    expect(snapshot!.surface.carry).toBeCloseTo(s.truth.carry, 2);
    expect(snapshot!.calibration!.rmseVol).toBeLessThan(0.005);
    // It survives the trip through Redis and rebuilds an arbitrage-free surface.
    expect(parseSnapshot(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(() => surfaceFor(snapshot!)).not.toThrow();
    // And the rebuilt surface reprices the venue's marks to within a vol point.
    for (const m of messages(s)) {
      if (m.type !== 'option-marks') continue;
      for (const mark of m.marks) {
        const { expiry, strike } = mark.instrument;
        const days = (expiry!.getTime() - now) / 86_400_000;
        const z = Math.abs(Math.log(strike! / spot)) / (mark.iv * Math.sqrt(days / 365));
        if (days < 2 || z > 2) continue;
        expect(Math.abs(volFor(snapshot!, strike!, expiry!, new Date(now)) - mark.iv)).toBeLessThan(0.01);
      }
    }
  });

  it('has no snapshot before an index price and enough option marks', () => {
    const s = session('btc-session.json');
    const now = Date.parse(s.recordedAt);
    const book = new DeribitBook({ underlyings: ['BTC'] });
    const all = messages(s);
    const index = all.find((m) => m.type === 'index')!;
    const marks = all.find((m) => m.type === 'option-marks')!;
    expect(book.snapshot('BTC', now)).toBeNull();
    expect(book.apply(index)).toBe('BTC');
    expect(book.snapshot('BTC', now)).toBeNull();
    expect(book.apply(marks)).toBe('BTC');
    expect(book.snapshot('BTC', now)).not.toBeNull();
    expect(book.snapshot('ETH', now)).toBeNull();
  });

  it('ignores underlyings it does not track and keeps the newest index', () => {
    const book = new DeribitBook({ underlyings: ['BTC'] });
    expect(book.apply({ type: 'index', underlying: 'SOL', price: 150, timestamp: 2 })).toBeNull();
    expect(book.apply({ type: 'index', underlying: 'BTC', price: 2, timestamp: 2 })).toBe('BTC');
    expect(book.apply({ type: 'index', underlying: 'BTC', price: 1, timestamp: 1 })).toBeNull();
    expect(book.apply({ type: 'heartbeat', testRequest: true })).toBeNull();
  });

  it('moves the snapshot with a new index price and refits only when marks change', () => {
    const s = session('btc-session.json');
    const now = Date.parse(s.recordedAt);
    const book = new DeribitBook({ underlyings: ['BTC'], recalibrateMs: 1_000 });
    for (const m of messages(s)) book.apply(m);
    const first = book.snapshot('BTC', now)!;
    book.apply({ type: 'index', underlying: 'BTC', price: 87_000, timestamp: now + 500 });
    const second = book.snapshot('BTC', now + 500)!;
    expect(second.spot).toBe(87_000);
    expect(second.timestamp).toBe(now + 500);
    expect(second.atmVol).toBe(first.atmVol);
  });

  it('drops expired options and stale marks, and has no snapshot without any live mark', () => {
    const s = session('btc-session.json');
    const now = Date.parse(s.recordedAt);
    const book = new DeribitBook({ underlyings: ['BTC'], markTtlMs: 60_000 });
    for (const m of messages(s)) book.apply(m);
    const first = book.snapshot('BTC', now)!;
    // Eight days on, the daily and weekly expiries have expired; the other marks are refreshed.
    const day = 8 * 86_400_000;
    const marks = messages(s).find((m) => m.type === 'option-marks')!;
    if (marks.type !== 'option-marks') throw new Error('expected option marks');
    book.apply({
      ...marks,
      marks: marks.marks.map((m) => ({ ...m, timestamp: m.timestamp + day })),
    });
    book.apply({ type: 'index', underlying: 'BTC', price: 86_000, timestamp: now + day });
    const next = book.snapshot('BTC', now + day)!;
    expect(next.spot).toBe(86_000);
    expect(next.calibration!.points).toBeLessThan(first.calibration!.points);
    // Ten minutes without a refreshed mark: no snapshot, although the index still ticks.
    book.apply({ type: 'index', underlying: 'BTC', price: 86_100, timestamp: now + day + 600_000 });
    expect(book.snapshot('BTC', now + day + 600_000)).toBeNull();
  });
});
