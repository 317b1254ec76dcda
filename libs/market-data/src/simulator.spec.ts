import { describe, expect, it } from '@jest/globals';
import { surfaceFor, volFor } from './market-snapshot.js';
import {
  DEFAULT_SIMULATED_UNDERLYINGS,
  initialState,
  MarketSimulator,
  type SimulatedUnderlying,
  stepState,
} from './simulator.js';
import { SimulatorSource } from './simulator.source.js';
import type { MarketSnapshot } from './market-snapshot.js';

const BTC = DEFAULT_SIMULATED_UNDERLYINGS[0] as SimulatedUnderlying;
const ETH = DEFAULT_SIMULATED_UNDERLYINGS[1] as SimulatedUnderlying;

const path = (seed: number, steps: number, intervalMs = 250) => {
  const sim = new MarketSimulator({ seed, intervalMs });
  const out = [sim.states()];
  for (let i = 0; i < steps; i++) out.push(sim.step());
  return out;
};

const correlation = (xs: number[], ys: number[]) => {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = (xs[i] as number) - mx;
    const dy = (ys[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
};

describe('market simulator', () => {
  it('starts at the configured levels', () => {
    const [btc, eth] = new MarketSimulator({ seed: 1, intervalMs: 250 }).states();
    expect(btc).toEqual({ underlying: 'BTC', spot: 100_000, atmVol: 0.55, skew: BTC.skew });
    expect(eth).toEqual({ underlying: 'ETH', spot: 3_500, atmVol: 0.7, skew: ETH.skew });
  });

  it('is deterministic for a seed, and the seed matters', () => {
    expect(path(42, 500)).toEqual(path(42, 500));
    expect(path(43, 500).at(-1)).not.toEqual(path(42, 500).at(-1));
  });

  it('moves each underlying on its own stream', () => {
    const both = path(7, 200).map((s) => s[0]);
    const btcOnly = new MarketSimulator({ seed: 7, intervalMs: 250, underlyings: [BTC] });
    const alone = [btcOnly.states()[0]];
    for (let i = 0; i < 200; i++) alone.push(btcOnly.step()[0]);
    expect(alone).toEqual(both);
  });

  it('scales moves to real time: one 250 ms tick of a 55 % vol moves BTC by about 0.005 % (one sd)', () => {
    const p = path(3, 2_000).map((s) => (s[0] as { spot: number }).spot);
    const moves = p.slice(1).map((s, i) => Math.abs(Math.log(s / (p[i] as number))));
    const meanAbs = moves.reduce((a, b) => a + b, 0) / moves.length;
    const expected = 0.55 * Math.sqrt(0.25 / (365 * 86_400)) * Math.sqrt(2 / Math.PI);
    expect(meanAbs / expected).toBeGreaterThan(0.9);
    expect(meanAbs / expected).toBeLessThan(1.1);
  });

  it.each([
    [0, 0.55],
    [1, 0.7],
  ])('realises roughly the configured vol over many steps (underlying %i)', (index, vol) => {
    const steps = 20_000;
    const sim = new MarketSimulator({ seed: 11, intervalMs: 250 });
    const returns: number[] = [];
    let previous = (sim.states()[index] as { spot: number }).spot;
    for (let i = 0; i < steps; i++) {
      const spot = (sim.step()[index] as { spot: number }).spot;
      returns.push(Math.log(spot / previous));
      previous = spot;
    }
    const mean = returns.reduce((a, b) => a + b, 0) / steps;
    const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (steps - 1);
    const realised = Math.sqrt(variance / sim.dtYears);
    expect(Math.abs(realised / vol - 1)).toBeLessThan(0.05);
  });

  it('raises ATM vol and steepens the skew when spot falls, and the reverse when it rallies', () => {
    const dt = 60 / (365 * 86_400); // one minute
    const start = initialState(BTC);
    const down = stepState(start, BTC, dt, -4, 0);
    const up = stepState(start, BTC, dt, 4, 0);
    expect(down.spot).toBeLessThan(start.spot);
    expect(down.atmVol).toBeGreaterThan(start.atmVol);
    expect(down.skew).toBeLessThan(start.skew);
    expect(up.spot).toBeGreaterThan(start.spot);
    expect(up.atmVol).toBeLessThan(start.atmVol);
    expect(up.skew).toBeGreaterThan(start.skew);
    // The surface follows: a 90 % put is dearer after the sell-off.
    const now = new Date('2025-01-01T00:00:00Z');
    const expiry = new Date('2025-01-31T00:00:00Z');
    const snap = (s: typeof start): MarketSnapshot => ({
      underlying: 'BTC',
      spot: s.spot,
      timestamp: 0,
      atmVol: s.atmVol,
      skew: s.skew,
      surface: { smile: BTC.smile, termSlope: BTC.termSlope, carry: 0, referenceYears: 30 / 365 },
      source: 'simulator',
    });
    expect(volFor(snap(down), 0.9 * down.spot, expiry, now)).toBeGreaterThan(
      volFor(snap(up), 0.9 * up.spot, expiry, now),
    );
  });

  it('moves vol against spot and skew with spot along a path', () => {
    // Hourly steps so the path travels far enough for the responses to show.
    const sim = new MarketSimulator({ seed: 5, intervalMs: 3_600_000 });
    const dSpot: number[] = [];
    const dVol: number[] = [];
    const dSkew: number[] = [];
    let prev = sim.states()[0] as { spot: number; atmVol: number; skew: number };
    for (let i = 0; i < 2_000; i++) {
      const next = sim.step()[0] as typeof prev;
      dSpot.push(Math.log(next.spot / prev.spot));
      dVol.push(Math.log(next.atmVol / prev.atmVol));
      dSkew.push(next.skew - prev.skew);
      prev = next;
    }
    expect(correlation(dSpot, dVol)).toBeLessThan(-0.3);
    expect(correlation(dSpot, dSkew)).toBeGreaterThan(0.9);
  });

  it('stays inside arbitrage-free bounds over a long path', () => {
    const sim = new MarketSimulator({ seed: 9, intervalMs: 86_400_000 });
    for (let i = 0; i < 730; i++) sim.step();
    for (const snapshot of sim.snapshots(0)) {
      expect(Math.abs(snapshot.skew)).toBeLessThan(1);
      expect(snapshot.atmVol).toBeGreaterThan(0);
      expect(() => surfaceFor(snapshot)).not.toThrow();
    }
  });
});

describe('SimulatorSource', () => {
  it('emits the current state at once, then every interval, and stops cleanly', async () => {
    const source = new SimulatorSource({ seed: 42, intervalMs: 10, now: () => 1_000 });
    const seen: MarketSnapshot[] = [];
    await source.start((s) => seen.push(s));
    expect(seen.map((s) => s.underlying)).toEqual(['BTC', 'ETH']);
    expect(seen[0]).toMatchObject({ spot: 100_000, timestamp: 1_000, source: 'simulator' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await source.stop();
    const count = seen.length;
    expect(count).toBeGreaterThanOrEqual(6);
    expect(source.running).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen.length).toBe(count);
  });

  it('replays the simulator path for the same seed', async () => {
    const run = async () => {
      const source = new SimulatorSource({ seed: 8, intervalMs: 10, now: () => 0 });
      const spots: number[] = [];
      await source.start((s) => {
        if (s.underlying === 'BTC') spots.push(s.spot);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await source.stop();
      return spots;
    };
    const [a, b] = [await run(), await run()];
    const n = Math.min(a.length, b.length);
    expect(n).toBeGreaterThan(2);
    expect(a.slice(0, n)).toEqual(b.slice(0, n));
  });
});
