/**
 * Implied volatility surface: one raw SVI slice per expiry, in total variance w(k, T) = σ²(k, T)·T at
 * log-moneyness k = ln(K/F(T)).
 *  - Static arbitrage is rejected at build time: butterfly per slice (svi.ts) and calendar across slices,
 *    i.e. w(k, T) non-decreasing in T at fixed k (Gatheral & Jacquier 2014, Lemma 2.1), on a k grid and in
 *    both asymptotic wings.
 *  - Between expiries w is linear in T at fixed k, which keeps calendar monotonicity; before the first and
 *    after the last expiry the implied vol is held flat in T at fixed k.
 */
import {
  type ArbitrageCheck,
  checkSviButterfly,
  type KGridOptions,
  sviCheckGrid,
  type SviSlice,
  sviTotalVariance,
} from './svi.js';

export interface SurfaceSlice {
  /** Time to expiry in years. */
  readonly years: number;
  /** Forward for that expiry. */
  readonly forward: number;
  readonly slice: SviSlice;
}

export interface VolSurface {
  readonly underlying: string;
  readonly spot: number;
  /** Sorted by increasing expiry. */
  readonly slices: readonly SurfaceSlice[];
}

export interface SurfaceInput {
  readonly underlying: string;
  readonly spot: number;
  readonly slices: readonly SurfaceSlice[];
}

export type BuildSurfaceResult =
  { readonly ok: true; readonly surface: VolSurface } | { readonly ok: false; readonly reason: string };

function describeExpiry(years: number): string {
  return `T=${years.toPrecision(4)}y (${(years * 365).toFixed(1)}d)`;
}

function fmt(x: number): string {
  return x.toPrecision(4);
}

/** Asymptotic line of an SVI wing: w ≈ slope·k + intercept as k → ±∞. */
function wing(slice: SviSlice, side: 1 | -1): { slope: number; intercept: number } {
  const slope = slice.b * (1 + side * slice.rho);
  // w = a + b(ρu + |u|√(1+σ²/u²)) → a + b(ρ + side)u with u = k - m
  return { slope, intercept: slice.a - slope * slice.m };
}

function checkCalendar(earlier: SurfaceSlice, later: SurfaceSlice, options: KGridOptions): ArbitrageCheck {
  const pair = `between ${describeExpiry(earlier.years)} and ${describeExpiry(later.years)}`;
  let worst: { k: number; w1: number; w2: number } | null = null;
  for (const k of sviCheckGrid([earlier.slice, later.slice], options)) {
    const w1 = sviTotalVariance(earlier.slice, k);
    const w2 = sviTotalVariance(later.slice, k);
    if (w2 < w1 - 1e-12 * Math.max(1, Math.abs(w1)) && (worst === null || w2 - w1 < worst.w2 - worst.w1)) {
      worst = { k, w1, w2 };
    }
  }
  if (worst !== null) {
    return {
      ok: false,
      reason: `calendar arbitrage ${pair} at k=${fmt(worst.k)}: total variance falls from ${fmt(worst.w1)} to ${fmt(worst.w2)}`,
    };
  }
  for (const side of [1, -1] as const) {
    const a = wing(earlier.slice, side);
    const b = wing(later.slice, side);
    const tol = 1e-12;
    if (b.slope < a.slope - tol || (Math.abs(b.slope - a.slope) <= tol && b.intercept < a.intercept - tol)) {
      return {
        ok: false,
        reason: `calendar arbitrage ${pair} in the ${side > 0 ? 'right (k→+∞)' : 'left (k→-∞)'} wing: slope ${fmt(a.slope)} then ${fmt(b.slope)}, so total variance eventually falls`,
      };
    }
  }
  return { ok: true };
}

/** Validates and sorts the slices; rejects butterfly arbitrage in any slice and calendar arbitrage. */
export function buildSurface(input: SurfaceInput, options: KGridOptions = {}): BuildSurfaceResult {
  if (!(input.spot > 0) || !Number.isFinite(input.spot))
    return { ok: false, reason: `spot must be > 0, got ${input.spot}` };
  if (input.slices.length === 0) return { ok: false, reason: 'a surface needs at least one slice' };
  const slices = [...input.slices].sort((p, q) => p.years - q.years);
  for (const [i, s] of slices.entries()) {
    if (!(s.years > 0) || !Number.isFinite(s.years))
      return { ok: false, reason: `expiry years must be > 0, got ${s.years}` };
    if (!(s.forward > 0) || !Number.isFinite(s.forward)) {
      return { ok: false, reason: `forward for ${describeExpiry(s.years)} must be > 0, got ${s.forward}` };
    }
    const previous = slices[i - 1];
    if (previous !== undefined && previous.years === s.years) {
      return { ok: false, reason: `two slices share the expiry ${describeExpiry(s.years)}` };
    }
    const butterfly = checkSviButterfly(s.slice, options);
    if (!butterfly.ok) return { ok: false, reason: `slice ${describeExpiry(s.years)}: ${butterfly.reason}` };
  }
  for (let i = 1; i < slices.length; i++) {
    const calendar = checkCalendar(slices[i - 1] as SurfaceSlice, slices[i] as SurfaceSlice, options);
    if (!calendar.ok) return calendar;
  }
  return { ok: true, surface: { underlying: input.underlying, spot: input.spot, slices } };
}

function bracket(surface: VolSurface, years: number): { lo: SurfaceSlice; hi: SurfaceSlice } {
  const slices = surface.slices;
  const first = slices[0];
  const last = slices[slices.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('surface has no slices');
  if (years <= first.years) return { lo: first, hi: first };
  if (years >= last.years) return { lo: last, hi: last };
  let i = 1;
  while ((slices[i] as SurfaceSlice).years < years) i++;
  return { lo: slices[i - 1] as SurfaceSlice, hi: slices[i] as SurfaceSlice };
}

/** Total implied variance at log-moneyness k and expiry `years` (flat vol outside the expiry range). */
export function surfaceTotalVariance(surface: VolSurface, k: number, years: number): number {
  if (!(years > 0)) throw new RangeError(`years must be > 0, got ${years}`);
  const { lo, hi } = bracket(surface, years);
  const w1 = Math.max(sviTotalVariance(lo.slice, k), 0);
  if (lo === hi) return (w1 / lo.years) * years;
  const w2 = Math.max(sviTotalVariance(hi.slice, k), 0);
  return w1 + ((w2 - w1) * (years - lo.years)) / (hi.years - lo.years);
}

/** Implied vol for a strike at expiry `years`, whose forward is `forward` (k = ln(K/F)). */
export function surfaceVol(surface: VolSurface, strike: number, years: number, forward: number): number {
  if (!(strike > 0) || !(forward > 0))
    throw new RangeError(`strike and forward must be > 0 (${strike}, ${forward})`);
  return Math.sqrt(surfaceTotalVariance(surface, Math.log(strike / forward), years) / years);
}

/**
 * Forward for any expiry: log-linear in T between slices (a piecewise constant carry rate), the nearest
 * slice's carry rate outside, and spot at T = 0.
 */
export function surfaceForward(surface: VolSurface, years: number): number {
  if (!(years >= 0)) throw new RangeError(`years must be >= 0, got ${years}`);
  if (years === 0) return surface.spot;
  const { lo, hi } = bracket(surface, years);
  const carry = (s: SurfaceSlice): number => Math.log(s.forward / surface.spot) / s.years;
  if (lo === hi) return surface.spot * Math.exp(carry(lo) * years);
  const y1 = Math.log(lo.forward);
  const y2 = Math.log(hi.forward);
  return Math.exp(y1 + ((y2 - y1) * (years - lo.years)) / (hi.years - lo.years));
}

export interface DefaultSurfaceParams {
  /** ATM implied vol at `referenceYears`, e.g. 0.6. */
  readonly atmVol: number;
  /**
   * Skew as the SSVI correlation ρ ∈ (-1, 1): negative makes puts richer than calls (equity-like, BTC in
   * sell-offs), positive makes calls richer (alt-coin rallies). ATM vol slope ≈ ρ·smile/(2√T) per unit k.
   */
  readonly skew: number;
  /** Smile curvature η of the SSVI power law; capped at 2/(1+|ρ|) to stay free of static arbitrage. Default 1. */
  readonly smile?: number;
  /** ATM term structure σ_atm(T) = atmVol·(T/referenceYears)^termSlope, termSlope > -1/2. Default 0. */
  readonly termSlope?: number;
  /** Default 30/365. */
  readonly referenceYears?: number;
  /** Annualised basis: F(T) = spot·e^{carry·T}. Default 0. */
  readonly carry?: number;
  /** Expiries in years; default 1d, 7d, 14d, 30d, 60d, 90d, 180d, 270d, 365d. */
  readonly expiries?: readonly number[];
  readonly underlying?: string;
}

const DEFAULT_EXPIRY_DAYS = [1, 7, 14, 30, 60, 90, 180, 270, 365];

/**
 * A plausible crypto surface from a handful of parameters, built from SSVI (Gatheral & Jacquier 2014):
 * w(k, θ) = θ/2 (1 + ρφk + √((φk + ρ)² + 1 - ρ²)) with θ = σ_atm(T)²T and the power law
 * φ(θ) = η/(θ^½ (1+θ)^½), which is free of static arbitrage when η(1+|ρ|) ≤ 2. Each slice is stored as the
 * equivalent raw SVI: a = θ(1-ρ²)/2, b = θφ/2, m = -ρ/φ, σ = √(1-ρ²)/φ. A simulator moves the level
 * (atmVol) and skew (ρ) with spot and rebuilds.
 */
export function defaultSurface(spot: number, params: DefaultSurfaceParams): VolSurface {
  const rho = params.skew;
  const termSlope = params.termSlope ?? 0;
  const referenceYears = params.referenceYears ?? 30 / 365;
  const carry = params.carry ?? 0;
  if (!(params.atmVol > 0)) throw new RangeError(`atmVol must be > 0, got ${params.atmVol}`);
  if (!(Math.abs(rho) < 1)) throw new RangeError(`skew (SSVI rho) must be in (-1, 1), got ${rho}`);
  if (!(termSlope > -0.5))
    throw new RangeError(`termSlope must be > -0.5 (ATM total variance must grow), got ${termSlope}`);
  const eta = Math.min(params.smile ?? 1, 2 / (1 + Math.abs(rho)));
  if (!(eta > 0)) throw new RangeError(`smile must be > 0, got ${params.smile}`);
  const expiries = params.expiries ?? DEFAULT_EXPIRY_DAYS.map((d) => d / 365);
  const slices = expiries.map((years): SurfaceSlice => {
    const atm = params.atmVol * Math.pow(years / referenceYears, termSlope);
    const theta = atm * atm * years;
    const phi = eta / Math.sqrt(theta * (1 + theta));
    const slice: SviSlice = {
      a: (theta * (1 - rho * rho)) / 2,
      b: (theta * phi) / 2,
      rho,
      m: -rho / phi,
      sigma: Math.sqrt(1 - rho * rho) / phi,
    };
    return { years, forward: spot * Math.exp(carry * years), slice };
  });
  const built = buildSurface({ underlying: params.underlying ?? 'BTC', spot, slices });
  if (!built.ok) throw new RangeError(`default surface is not arbitrage-free: ${built.reason}`);
  return built.surface;
}
