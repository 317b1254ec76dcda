/**
 * Fits the snapshot's SSVI parameters (ATM level, skew ρ, smile η, term slope) to venue implied vols.
 * The model is exactly the one `defaultSurface` builds (Gatheral & Jacquier 2014, power-law φ), written
 * in closed form here because the optimiser evaluates it thousands of times: at the surface's expiries
 * `ssviVol` and `surfaceVol(surfaceFor(snapshot))` agree to rounding.
 */
import { nelderMead } from '@app/pricing';
import { DEFAULT_REFERENCE_YEARS } from './market-snapshot.js';

export interface SsviParams {
  /** ATM vol at `referenceYears`. */
  readonly atmVol: number;
  readonly skew: number;
  readonly smile: number;
  readonly termSlope: number;
  readonly referenceYears: number;
}

export interface VolPoint {
  readonly years: number;
  /** ln(K/F) against the forward of the same expiry. */
  readonly k: number;
  /** Decimal implied vol. */
  readonly iv: number;
}

export interface SsviFit extends SsviParams {
  /** Points used after filtering. */
  readonly points: number;
  /** Root mean square of the vol error, weighted equally per expiry. */
  readonly rmseVol: number;
}

export interface CalibrateOptions {
  readonly referenceYears?: number;
  /** Previous fit: a warm start keeps consecutive snapshots close when the data barely moved. */
  readonly start?: Partial<SsviParams>;
  /** Expiries shorter than this are left out (their marks jump around the daily settlement). */
  readonly minYears?: number;
  /** Points with |k| / (iv·√T) above this are left out (stale far-wing marks). */
  readonly maxStandardisedMoneyness?: number;
}

/** Closed-form SSVI total variance, with η capped at 2/(1+|ρ|) as `defaultSurface` does. */
export function ssviTotalVariance(params: SsviParams, k: number, years: number): number {
  const atm = params.atmVol * Math.pow(years / params.referenceYears, params.termSlope);
  const theta = atm * atm * years;
  const rho = params.skew;
  const eta = Math.min(params.smile, 2 / (1 + Math.abs(rho)));
  const phi = eta / Math.sqrt(theta * (1 + theta));
  const x = phi * k + rho;
  return (theta / 2) * (1 + rho * phi * k + Math.sqrt(x * x + 1 - rho * rho));
}

export function ssviVol(params: SsviParams, k: number, years: number): number {
  return Math.sqrt(ssviTotalVariance(params, k, years) / years);
}

const MAX_SKEW = 0.95;
const TERM_SLOPE_MIN = -0.45;
const TERM_SLOPE_RANGE = 1.45;
/** Keeps the term slope at 0 when the data cannot tell it apart from the level (a single expiry). */
const TERM_SLOPE_PENALTY = 1e-6;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));
const clampOpen = (p: number): number => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** Unconstrained coordinates for Nelder–Mead; every x maps to admissible, arbitrage-free parameters. */
function decode(x: readonly number[], referenceYears: number): SsviParams {
  const skew = MAX_SKEW * Math.tanh(x[1] ?? 0);
  return {
    atmVol: Math.exp(x[0] ?? 0),
    skew,
    smile: (2 / (1 + Math.abs(skew))) * sigmoid(x[2] ?? 0),
    termSlope: TERM_SLOPE_MIN + TERM_SLOPE_RANGE * sigmoid(x[3] ?? 0),
    referenceYears,
  };
}

function encode(p: Omit<SsviParams, 'referenceYears'>): number[] {
  const skew = Math.max(-MAX_SKEW + 1e-6, Math.min(MAX_SKEW - 1e-6, p.skew));
  return [
    Math.log(p.atmVol),
    Math.atanh(skew / MAX_SKEW),
    logit(clampOpen(p.smile / (2 / (1 + Math.abs(skew))))),
    logit(clampOpen((p.termSlope - TERM_SLOPE_MIN) / TERM_SLOPE_RANGE)),
  ];
}

/**
 * Least squares in vol, each expiry weighted equally (the long list of short-dated strikes must not
 * drown the back months). Null when fewer than four usable points remain.
 */
export function calibrateSsvi(points: readonly VolPoint[], options: CalibrateOptions = {}): SsviFit | null {
  const referenceYears = options.referenceYears ?? DEFAULT_REFERENCE_YEARS;
  const minYears = options.minYears ?? 2 / 365;
  const maxZ = options.maxStandardisedMoneyness ?? 2.5;
  const usable = points.filter(
    (p) =>
      Number.isFinite(p.years) &&
      Number.isFinite(p.k) &&
      Number.isFinite(p.iv) &&
      p.years >= minYears &&
      p.iv > 0.02 &&
      p.iv < 5 &&
      Math.abs(p.k) / (p.iv * Math.sqrt(p.years)) <= maxZ,
  );
  if (usable.length < 4) return null;

  // Grouped by expiry so that θ and φ are computed once per expiry and evaluation, not per point.
  const byExpiry = new Map<number, { years: number; ks: number[]; ivs: number[] }>();
  for (const p of usable) {
    const group = byExpiry.get(p.years) ?? { years: p.years, ks: [], ivs: [] };
    group.ks.push(p.k);
    group.ivs.push(p.iv);
    byExpiry.set(p.years, group);
  }
  const groups = [...byExpiry.values()];
  const squaredError = (params: SsviParams): number => {
    const rho = params.skew;
    const eta = Math.min(params.smile, 2 / (1 + Math.abs(rho)));
    let total = 0;
    for (const g of groups) {
      const atm = params.atmVol * Math.pow(g.years / params.referenceYears, params.termSlope);
      const theta = atm * atm * g.years;
      const phi = eta / Math.sqrt(theta * (1 + theta));
      let sum = 0;
      for (let i = 0; i < g.ks.length; i++) {
        const k = g.ks[i] as number;
        const x = phi * k + rho;
        const w = (theta / 2) * (1 + rho * phi * k + Math.sqrt(x * x + 1 - rho * rho));
        const e = Math.sqrt(w / g.years) - (g.ivs[i] as number);
        sum += e * e;
      }
      total += sum / g.ks.length;
    }
    return total / groups.length;
  };

  // Start: the ATM vol of the expiry nearest the reference, unless a previous fit is given.
  let nearest: VolPoint | undefined;
  for (const p of usable) {
    const better =
      nearest === undefined ||
      Math.abs(Math.log(p.years / referenceYears)) < Math.abs(Math.log(nearest.years / referenceYears)) ||
      (p.years === nearest.years && Math.abs(p.k) < Math.abs(nearest.k));
    if (better) nearest = p;
  }
  const start = encode({
    atmVol: options.start?.atmVol ?? nearest?.iv ?? 0.6,
    skew: options.start?.skew ?? 0,
    smile: options.start?.smile ?? 1,
    termSlope: options.start?.termSlope ?? 0,
  });

  const objective = (x: readonly number[]): number => {
    const params = decode(x, referenceYears);
    return squaredError(params) + TERM_SLOPE_PENALTY * params.termSlope * params.termSlope;
  };
  const steps = [0.1, 0.3, 0.5, 0.5];
  // Vol errors below 1e-5 do not matter; tighter tolerances only burn iterations on noisy marks.
  const tolerances = { maxIterations: 1_500, xTolerance: 1e-7, fTolerance: 1e-9 };
  let best = nelderMead(objective, start, steps, tolerances);
  // One restart from the optimum: Nelder–Mead can stall on a collapsed simplex.
  best = nelderMead(objective, best.x, steps, tolerances);
  const params = decode(best.x, referenceYears);
  return { ...params, points: usable.length, rmseVol: Math.sqrt(squaredError(params)) };
}
