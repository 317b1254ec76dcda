/**
 * The market state of one underlying as every pricing process sees it, and the pure valuation of an
 * instrument against it. The snapshot carries the handful of SSVI parameters of `defaultSurface`
 * (`@app/pricing`) rather than a full surface: it stays a few hundred bytes on Redis, and every process
 * rebuilds exactly the same arbitrage-free surface from it.
 */
import { black76, defaultSurface, surfaceVol, type VolSurface } from '@app/pricing';
import type { InstrumentInfo } from '@app/rfq';

/** SSVI parameters beyond the ATM level and skew (see `DefaultSurfaceParams` in `@app/pricing`). */
export interface SurfaceParams {
  /** Smile curvature η of the SSVI power law (capped at 2/(1+|skew|) when the surface is built). */
  readonly smile: number;
  /** ATM term structure σ_atm(T) = atmVol·(T/referenceYears)^termSlope, > -1/2. */
  readonly termSlope: number;
  /** Annualised basis: F(T) = spot·e^{carry·T}. */
  readonly carry: number;
  /** Expiry at which `atmVol` is quoted, in years (30/365). */
  readonly referenceYears: number;
}

export type MarketDataSourceName = 'simulator' | 'deribit';

export interface MarketSnapshot {
  /** Upper-case symbol of the underlying, as in `instruments.underlying`: 'BTC', 'ETH'. */
  readonly underlying: string;
  /** Index (spot) price in USDC. */
  readonly spot: number;
  /** When the data was observed, ms since the epoch (the venue's clock for Deribit). */
  readonly timestamp: number;
  /** ATM implied vol at `surface.referenceYears`, decimal (0.55 = 55 %). */
  readonly atmVol: number;
  /** SSVI correlation ρ ∈ (-1, 1): negative makes puts richer than calls. */
  readonly skew: number;
  readonly surface: SurfaceParams;
  readonly source: MarketDataSourceName;
  /** Fit quality when the surface was calibrated to venue marks. */
  readonly calibration?: { readonly points: number; readonly rmseVol: number };
}

/** Which instrument fields valuation needs: any `InstrumentInfo` qualifies. */
export type PricedInstrument = Pick<
  InstrumentInfo,
  'name' | 'kind' | 'underlying' | 'expiry' | 'strike' | 'optionType' | 'multiplier'
>;

export interface InstrumentGreeks {
  /** dV/dS per contract (spot delta: Black-76 forward delta × F/S), underlying units. */
  readonly delta: number;
  /** d²V/dS² per contract. */
  readonly gamma: number;
  /** dV/dσ per contract per 1.00 of vol (the `@app/pricing` convention). */
  readonly vega: number;
  /** vega / 100: USDC per contract per vol point. */
  readonly vegaPerPoint: number;
  /** dV/dt per contract per year of calendar time, forward fixed (the `@app/pricing` convention). */
  readonly theta: number;
  /** theta / 365: USDC per contract per calendar day. */
  readonly thetaPerDay: number;
}

export interface Valuation {
  /** Mark per unit of underlying, USDC (multiply by quantity × multiplier for a position). */
  readonly price: number;
  /** Forward for the instrument's expiry (spot for a perpetual). */
  readonly forward: number;
  /** Implied vol used (0 for futures and perpetuals). */
  readonly vol: number;
  /** ACT/365 years to expiry, 0 once expired (and for perpetuals). */
  readonly years: number;
  readonly greeks: InstrumentGreeks;
}

const MS_PER_YEAR = 365 * 24 * 60 * 60 * 1000;
/** Vol is read off the surface at no less than one minute: the surface has no variance at T = 0. */
const MIN_VOL_YEARS = 60_000 / MS_PER_YEAR;
/**
 * Premiums are paid in USDC at trade and the platform models no USDC rate, so marks are undiscounted
 * (any basis lives in the forward through `carry`).
 */
export const DISCOUNT_RATE = 0;
/** Slices of the rebuilt surface, in days; flat vol in T outside (surfaceVol's convention). */
export const SURFACE_EXPIRY_DAYS: readonly number[] = [1, 7, 14, 30, 60, 90, 180, 270, 365, 730];
export const DEFAULT_REFERENCE_YEARS = 30 / 365;

/** ACT/365 years from `now` to `expiry`, 0 when it has passed. */
export function yearsBetween(now: Date, expiry: Date): number {
  return Math.max(0, (expiry.getTime() - now.getTime()) / MS_PER_YEAR);
}

// Snapshots are immutable and shared by every caller until the next update: rebuild once per object.
const surfaces = new WeakMap<MarketSnapshot, VolSurface>();

/** The `@app/pricing` surface described by a snapshot (cached per snapshot object). */
export function surfaceFor(snapshot: MarketSnapshot): VolSurface {
  let surface = surfaces.get(snapshot);
  if (surface === undefined) {
    surface = defaultSurface(snapshot.spot, {
      underlying: snapshot.underlying,
      atmVol: snapshot.atmVol,
      skew: snapshot.skew,
      smile: snapshot.surface.smile,
      termSlope: snapshot.surface.termSlope,
      carry: snapshot.surface.carry,
      referenceYears: snapshot.surface.referenceYears,
      expiries: SURFACE_EXPIRY_DAYS.map((d) => d / 365),
    });
    surfaces.set(snapshot, surface);
  }
  return surface;
}

/** Forward for `expiry` (F = S·e^{carry·T}); spot once expired. */
export function forwardFor(snapshot: MarketSnapshot, expiry: Date, now: Date): number {
  return snapshot.spot * Math.exp(snapshot.surface.carry * yearsBetween(now, expiry));
}

/** Implied vol for `strike` at `expiry`, at log-moneyness against that expiry's forward. */
export function volFor(snapshot: MarketSnapshot, strike: number, expiry: Date, now: Date): number {
  const years = Math.max(yearsBetween(now, expiry), MIN_VOL_YEARS);
  const forward = snapshot.spot * Math.exp(snapshot.surface.carry * years);
  return surfaceVol(surfaceFor(snapshot), strike, years, forward);
}

function toNumber(value: { toNumber(): number } | number): number {
  return typeof value === 'number' ? value : value.toNumber();
}

function assertUnderlying(snapshot: MarketSnapshot, instrument: PricedInstrument): void {
  if (instrument.underlying !== snapshot.underlying) {
    throw new RangeError(
      `${instrument.name} is on ${instrument.underlying}, the snapshot is for ${snapshot.underlying}`,
    );
  }
}

/** Mark, forward, vol and per-contract Greeks of one instrument. */
export function valueInstrument(
  snapshot: MarketSnapshot,
  instrument: PricedInstrument,
  now: Date,
): Valuation {
  assertUnderlying(snapshot, instrument);
  const multiplier = toNumber(instrument.multiplier);
  const spot = snapshot.spot;
  if (instrument.kind === 'PERPETUAL' || instrument.expiry === null) {
    if (instrument.kind === 'OPTION') throw new RangeError(`option ${instrument.name} has no expiry`);
    return { price: spot, forward: spot, vol: 0, years: 0, greeks: linear(multiplier) };
  }
  const years = yearsBetween(now, instrument.expiry);
  const forward = forwardFor(snapshot, instrument.expiry, now);
  if (instrument.kind === 'FUTURE') {
    return { price: forward, forward, vol: 0, years, greeks: linear(multiplier * (forward / spot)) };
  }
  if (instrument.strike === null || instrument.optionType === null) {
    throw new RangeError(`option ${instrument.name} needs a strike and an option type`);
  }
  const strike = toNumber(instrument.strike);
  const vol = volFor(snapshot, strike, instrument.expiry, now);
  const r = black76({
    type: instrument.optionType === 'CALL' ? 'call' : 'put',
    forward,
    strike,
    years,
    vol,
    rate: DISCOUNT_RATE,
  });
  // Hedges trade the index (perpetuals), so delta and gamma are taken in spot: dF/dS = F/S.
  const dFdS = forward / spot;
  return {
    price: r.price,
    forward,
    vol,
    years,
    greeks: {
      delta: r.delta * dFdS * multiplier,
      gamma: r.gamma * dFdS * dFdS * multiplier,
      vega: r.vega * multiplier,
      vegaPerPoint: (r.vega / 100) * multiplier,
      theta: r.theta * multiplier,
      thetaPerDay: (r.theta / 365) * multiplier,
    },
  };
}

function linear(delta: number): InstrumentGreeks {
  return { delta, gamma: 0, vega: 0, vegaPerPoint: 0, theta: 0, thetaPerDay: 0 };
}

/**
 * Mark per unit of underlying in USDC: Black-76 on the surface for options (intrinsic once expired),
 * the forward for futures, the index for perpetuals.
 */
export function markFor(snapshot: MarketSnapshot, instrument: PricedInstrument, now: Date): number {
  return valueInstrument(snapshot, instrument, now).price;
}

/** Greeks per contract (already × multiplier). */
export function greeksFor(
  snapshot: MarketSnapshot,
  instrument: PricedInstrument,
  now: Date,
): InstrumentGreeks {
  return valueInstrument(snapshot, instrument, now).greeks;
}

/** Number check for untrusted input. */
function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Validates a snapshot read from Redis (another process, possibly another version, wrote it): returns
 * null rather than letting a bad record reach pricing.
 */
export function parseSnapshot(text: string): MarketSnapshot | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const s = v.surface as Record<string, unknown> | null | undefined;
  if (
    typeof v.underlying !== 'string' ||
    v.underlying.length === 0 ||
    !finite(v.spot) ||
    v.spot <= 0 ||
    !finite(v.timestamp) ||
    !finite(v.atmVol) ||
    v.atmVol <= 0 ||
    !finite(v.skew) ||
    Math.abs(v.skew) >= 1 ||
    (v.source !== 'simulator' && v.source !== 'deribit') ||
    typeof s !== 'object' ||
    s === null ||
    !finite(s.smile) ||
    s.smile <= 0 ||
    !finite(s.termSlope) ||
    s.termSlope <= -0.5 ||
    !finite(s.carry) ||
    !finite(s.referenceYears) ||
    s.referenceYears <= 0
  ) {
    return null;
  }
  const c = v.calibration as Record<string, unknown> | undefined;
  return {
    underlying: v.underlying,
    spot: v.spot,
    timestamp: v.timestamp,
    atmVol: v.atmVol,
    skew: v.skew,
    surface: { smile: s.smile, termSlope: s.termSlope, carry: s.carry, referenceYears: s.referenceYears },
    source: v.source,
    ...(c && finite(c.points) && finite(c.rmseVol)
      ? { calibration: { points: c.points, rmseVol: c.rmseVol } }
      : {}),
  };
}
