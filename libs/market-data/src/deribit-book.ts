/**
 * Folds parsed Deribit messages into the latest state per underlying (index, option marks, forwards)
 * and turns it into snapshots. No socket and no clock: `now` is always passed in, so recorded frames
 * replay to the same snapshots.
 */
import type { DeribitMessage, OptionMark } from './deribit-frames.js';
import { DEFAULT_REFERENCE_YEARS, type MarketSnapshot } from './market-snapshot.js';
import { calibrateSsvi, type SsviFit, type VolPoint } from './ssvi-calibration.js';

export interface DeribitBookOptions {
  readonly underlyings: readonly string[];
  /** Minimum time between two fits of one underlying; in between, snapshots reuse the last fit. */
  readonly recalibrateMs?: number;
  /** Marks not refreshed for this long are dropped (instrument delisted or feed gap). */
  readonly markTtlMs?: number;
}

interface UnderlyingState {
  index: { price: number; timestamp: number } | null;
  readonly marks: Map<string, OptionMark>;
  /** Venue forward per expiry (ms), from option tickers' underlying_price. */
  readonly forwards: Map<number, { price: number; timestamp: number }>;
  fit: SsviFit | null;
  carry: number;
  fittedAt: number;
  marksChanged: boolean;
}

const MS_PER_YEAR = 365 * 24 * 60 * 60 * 1000;
const MIN_CARRY_YEARS = 7 / 365;

export class DeribitBook {
  private readonly states = new Map<string, UnderlyingState>();
  private readonly recalibrateMs: number;
  private readonly markTtlMs: number;

  constructor(options: DeribitBookOptions) {
    this.recalibrateMs = options.recalibrateMs ?? 1_000;
    this.markTtlMs = options.markTtlMs ?? 5 * 60_000;
    for (const u of options.underlyings) {
      this.states.set(u.toUpperCase(), {
        index: null,
        marks: new Map(),
        forwards: new Map(),
        fit: null,
        carry: 0,
        fittedAt: -Infinity,
        marksChanged: false,
      });
    }
  }

  /** Applies one message; returns the underlying whose state changed, if any. */
  apply(message: DeribitMessage): string | null {
    switch (message.type) {
      case 'index': {
        const state = this.states.get(message.underlying);
        if (state === undefined) return null;
        // Two feeds carry the index (index channel, perpetual ticker): the newest observation wins.
        if (state.index !== null && state.index.timestamp > message.timestamp) return null;
        state.index = { price: message.price, timestamp: message.timestamp };
        return message.underlying;
      }
      case 'option-marks': {
        const state = this.states.get(message.underlying);
        if (state === undefined) return null;
        for (const mark of message.marks) this.putMark(state, mark);
        return message.underlying;
      }
      case 'ticker': {
        const underlying = message.instrument.underlying;
        const state = this.states.get(underlying);
        if (state === undefined) return null;
        if (message.mark !== null) {
          this.putMark(state, message.mark);
          const expiry = message.instrument.expiry;
          if (expiry !== null && message.mark.underlyingPrice !== null) {
            state.forwards.set(expiry.getTime(), {
              price: message.mark.underlyingPrice,
              timestamp: message.timestamp,
            });
          }
        }
        if (state.index === null || state.index.timestamp <= message.timestamp) {
          state.index = { price: message.indexPrice, timestamp: message.timestamp };
        }
        return underlying;
      }
      case 'response':
      case 'error':
      case 'heartbeat':
      case 'other':
        return null;
    }
  }

  private putMark(state: UnderlyingState, mark: OptionMark): void {
    const previous = state.marks.get(mark.instrument.name);
    if (previous !== undefined && previous.timestamp > mark.timestamp) return;
    // A ticker's forward is worth keeping when a later mark-price entry (which has none) replaces it.
    const underlyingPrice = mark.underlyingPrice ?? previous?.underlyingPrice ?? null;
    state.marks.set(mark.instrument.name, { ...mark, underlyingPrice });
    if (previous === undefined || previous.iv !== mark.iv) state.marksChanged = true;
  }

  /**
   * The snapshot of `underlying` at `now` (ms), or null until it has an index price and enough option
   * marks for a first fit, and again once every mark is older than the TTL. Its timestamp is the index observation's: the age of the spot is what
   * decides whether quoting may continue.
   */
  snapshot(underlying: string, now: number): MarketSnapshot | null {
    const state = this.states.get(underlying);
    if (state === undefined || state.index === null) return null;
    const spot = state.index.price;
    this.prune(state, now);
    // Without a single live option mark the surface is guesswork: no snapshot, consumers go stale.
    if (state.marks.size === 0) return null;
    if (state.marksChanged && (state.fit === null || now - state.fittedAt >= this.recalibrateMs)) {
      state.carry = estimateCarry(state, spot, now);
      const fit = calibrateSsvi(volPoints(state, spot, now), state.fit === null ? {} : { start: state.fit });
      if (fit !== null) {
        state.fit = fit;
        state.fittedAt = now;
        state.marksChanged = false;
      }
    }
    const fit = state.fit;
    if (fit === null) return null;
    return {
      underlying,
      spot,
      timestamp: state.index.timestamp,
      atmVol: fit.atmVol,
      skew: fit.skew,
      surface: {
        smile: fit.smile,
        termSlope: fit.termSlope,
        carry: state.carry,
        referenceYears: DEFAULT_REFERENCE_YEARS,
      },
      source: 'deribit',
      calibration: { points: fit.points, rmseVol: fit.rmseVol },
    };
  }

  private prune(state: UnderlyingState, now: number): void {
    for (const [name, mark] of state.marks) {
      const expiry = mark.instrument.expiry?.getTime() ?? 0;
      if (expiry <= now || now - mark.timestamp > this.markTtlMs) {
        state.marks.delete(name);
        state.marksChanged = true;
      }
    }
    for (const [expiry, forward] of state.forwards) {
      if (expiry <= now || now - forward.timestamp > this.markTtlMs) state.forwards.delete(expiry);
    }
  }
}

/**
 * Annualised basis: the median over expiries of at least a week of ln(F/S)/T, from the venue forwards
 * the option tickers carry; 0 without any (mark-price frames carry no forward).
 */
function estimateCarry(state: UnderlyingState, spot: number, now: number): number {
  const rates: number[] = [];
  for (const [expiry, forward] of state.forwards) {
    const years = (expiry - now) / MS_PER_YEAR;
    if (years >= MIN_CARRY_YEARS) rates.push(Math.log(forward.price / spot) / years);
  }
  if (rates.length === 0) return 0;
  rates.sort((a, b) => a - b);
  const mid = Math.floor(rates.length / 2);
  return rates.length % 2 === 1
    ? (rates[mid] as number)
    : ((rates[mid - 1] as number) + (rates[mid] as number)) / 2;
}

/**
 * One point per (expiry, strike): the venue marks a call and a put of the same strike at the same vol,
 * so they are averaged rather than counted twice. k is taken against the venue forward of the expiry
 * when known, else against spot carried at the estimated basis.
 */
function volPoints(state: UnderlyingState, spot: number, now: number): VolPoint[] {
  const grouped = new Map<
    string,
    { years: number; strike: number; forward: number; sum: number; n: number }
  >();
  for (const mark of state.marks.values()) {
    const expiry = mark.instrument.expiry;
    const strike = mark.instrument.strike;
    if (expiry === null || strike === null) continue;
    const years = (expiry.getTime() - now) / MS_PER_YEAR;
    if (!(years > 0)) continue;
    const forward =
      mark.underlyingPrice ??
      state.forwards.get(expiry.getTime())?.price ??
      spot * Math.exp(state.carry * years);
    const key = `${expiry.getTime()}:${strike}`;
    const entry = grouped.get(key);
    if (entry === undefined) grouped.set(key, { years, strike, forward, sum: mark.iv, n: 1 });
    else {
      entry.sum += mark.iv;
      entry.n++;
    }
  }
  return [...grouped.values()].map((g) => ({
    years: g.years,
    k: Math.log(g.strike / g.forward),
    iv: g.sum / g.n,
  }));
}
