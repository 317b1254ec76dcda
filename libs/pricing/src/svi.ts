/**
 * Raw SVI smile (Gatheral 2004): total implied variance at log-moneyness k = ln(K/F)
 *   w(k) = a + b (ρ (k - m) + √((k - m)² + σ²)),   implied vol = √(w / T).
 * Butterfly arbitrage: the risk-neutral density is proportional to
 *   g(k) = (1 - k w'/(2w))² - (w'²/4)(1/w + 1/4) + w''/2   (Gatheral & Jacquier 2014, "Arbitrage-free SVI
 * volatility surfaces", Quantitative Finance 14(1)), which must stay ≥ 0 with w > 0.
 * Calibration: quasi-explicit method of Zeliade Systems (De Marco & Martini 2009, "Quasi-explicit calibration of
 * Gatheral's SVI model"): for fixed (m, σ) the fit is a linear least-squares problem in (a, bσ, ρbσ) on a
 * polygon, solved exactly by enumerating its faces; (m, ln σ) is searched by Nelder–Mead from a grid of starts.
 */
import { at, nelderMead, solveLinear } from './linear-algebra.js';

export interface SviSlice {
  readonly a: number;
  readonly b: number;
  readonly rho: number;
  readonly m: number;
  readonly sigma: number;
}

export type ArbitrageCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SmilePoint {
  readonly strike: number;
  /** Annualised implied vol, 0.6 = 60 %. */
  readonly vol: number;
}

export interface SviFit {
  readonly slice: SviSlice;
  /** Root mean square of (model vol - quoted vol) over the points, in vol (0.01 = 1 vol point). */
  readonly rmseVol: number;
  readonly maxAbsErrorVol: number;
}

/** Total implied variance w(k). */
export function sviTotalVariance(slice: SviSlice, k: number): number {
  const u = k - slice.m;
  return slice.a + slice.b * (slice.rho * u + Math.sqrt(u * u + slice.sigma * slice.sigma));
}

/** w, dw/dk and d²w/dk². */
export function sviDerivatives(slice: SviSlice, k: number): { w: number; w1: number; w2: number } {
  const u = k - slice.m;
  const r2 = u * u + slice.sigma * slice.sigma;
  const r = Math.sqrt(r2);
  return {
    w: slice.a + slice.b * (slice.rho * u + r),
    w1: slice.b * (slice.rho + u / r),
    w2: (slice.b * slice.sigma * slice.sigma) / (r2 * r),
  };
}

/** Implied vol at log-moneyness k for an expiry `years` away (negative variance floors at zero). */
export function sviVol(slice: SviSlice, k: number, years: number): number {
  if (!(years > 0)) throw new RangeError(`years must be > 0, got ${years}`);
  return Math.sqrt(Math.max(sviTotalVariance(slice, k), 0) / years);
}

/** Gatheral's density function g(k); the risk-neutral density is g(k)·φ(d2)/√w, so g < 0 is arbitrage. */
export function sviDensityFactor(slice: SviSlice, k: number): number {
  const { w, w1, w2 } = sviDerivatives(slice, k);
  const t = 1 - (k * w1) / (2 * w);
  return t * t - ((w1 * w1) / 4) * (1 / w + 0.25) + w2 / 2;
}

/** Minimum of w over k: a + bσ√(1 - ρ²). */
export function sviMinimumVariance(slice: SviSlice): number {
  return slice.a + slice.b * slice.sigma * Math.sqrt(Math.max(1 - slice.rho * slice.rho, 0));
}

/** Parameter domain problems, or null. */
export function sviParameterProblem(slice: SviSlice): string | null {
  for (const key of ['a', 'b', 'rho', 'm', 'sigma'] as const) {
    if (!Number.isFinite(slice[key])) return `parameter ${key} is not finite (${slice[key]})`;
  }
  if (slice.b < 0) return `b = ${slice.b} must be >= 0`;
  if (Math.abs(slice.rho) > 1) return `|rho| = ${Math.abs(slice.rho)} must be <= 1`;
  if (!(slice.sigma > 0)) return `sigma = ${slice.sigma} must be > 0`;
  return null;
}

export interface KGridOptions {
  /** Half-width of the uniform log-moneyness grid; default adapts to the slice (at least 2). */
  readonly kRange?: number;
  /** Points on the uniform grid; default 801. */
  readonly points?: number;
}

/**
 * Log-moneyness grid for the arbitrage checks: a uniform grid on [-R, R] plus dense points around the ATM
 * region (±6 standard deviations) and around the smile's vertex m (±10σ), so that a 1-day slice is not
 * checked on a grid coarser than its own width.
 */
export function sviCheckGrid(slices: readonly SviSlice[], options: KGridOptions = {}): number[] {
  const points = options.points ?? 801;
  let range = options.kRange ?? 2;
  const local: [number, number][] = [];
  for (const slice of slices) {
    const sd = Math.sqrt(Math.max(sviTotalVariance(slice, 0), 0));
    local.push([-6 * sd, 6 * sd], [slice.m - 10 * slice.sigma, slice.m + 10 * slice.sigma]);
    if (options.kRange === undefined)
      range = Math.max(range, Math.min(20, 6 * sd, Math.abs(slice.m) + 10 * slice.sigma));
  }
  const grid: number[] = [];
  for (let i = 0; i < points; i++) grid.push(-range + (2 * range * i) / (points - 1));
  for (const [lo, hi] of local) {
    const from = Math.max(lo, -range);
    const to = Math.min(hi, range);
    if (!(to > from)) continue;
    for (let i = 0; i <= 200; i++) grid.push(from + ((to - from) * i) / 200);
  }
  return [...new Set(grid)].sort((p, q) => p - q);
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

/**
 * Butterfly (static, single-expiry) arbitrage check: valid parameters, w ≥ 0 everywhere (analytic minimum),
 * g(k) ≥ 0 and w > 0 on the check grid, and Roger Lee's moment bound on the wings, b(1 + |ρ|) ≤ 2, which is
 * what g ≥ 0 requires as |k| → ∞ beyond any finite grid.
 */
export function checkSviButterfly(slice: SviSlice, options: KGridOptions = {}): ArbitrageCheck {
  const problem = sviParameterProblem(slice);
  if (problem !== null) return { ok: false, reason: `invalid SVI parameters: ${problem}` };
  const minW = sviMinimumVariance(slice);
  if (minW < 0) return { ok: false, reason: `total variance goes negative (minimum w = ${fmt(minW)})` };
  const wingSlope = slice.b * (1 + Math.abs(slice.rho));
  if (wingSlope > 2 + 1e-12) {
    return {
      ok: false,
      reason: `wing slope b(1+|rho|) = ${fmt(wingSlope)} exceeds Lee's bound 2: butterfly arbitrage in the ${slice.rho >= 0 ? 'right' : 'left'} wing`,
    };
  }
  let worst: { k: number; g: number } | null = null;
  for (const k of sviCheckGrid([slice], options)) {
    const w = sviTotalVariance(slice, k);
    if (!(w > 0))
      return { ok: false, reason: `total variance w = ${fmt(w)} is not positive at k = ${fmt(k)}` };
    const g = sviDensityFactor(slice, k);
    if (g < -1e-10 && (worst === null || g < worst.g)) worst = { k, g };
  }
  if (worst !== null) {
    return {
      ok: false,
      reason: `butterfly arbitrage at k = ${fmt(worst.k)}: g(k) = ${fmt(worst.g)} < 0 (negative density; worst point of the grid)`,
    };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------
// Calibration

interface LinearFit {
  readonly a: number;
  readonly c: number; // bσ
  readonly d: number; // ρbσ
  readonly sse: number;
}

interface FitData {
  readonly k: readonly number[];
  readonly w: readonly number[];
  readonly weight: readonly number[]; // so that weight·(w_model - w) ≈ vol error
}

/** Weighted least squares for w ≈ offset + Σ coef_j·column_j; null when singular. */
function weightedLsq(
  data: FitData,
  offset: readonly number[],
  columns: readonly (readonly number[])[],
): { coef: number[]; sse: number } | null {
  const p = columns.length;
  const normal = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const rhs = new Array<number>(p).fill(0);
  const n = data.k.length;
  for (let i = 0; i < n; i++) {
    const wt = at(data.weight, i) ** 2;
    const target = at(data.w, i) - at(offset, i);
    for (let r = 0; r < p; r++) {
      const xr = at(columns[r] as number[], i);
      rhs[r] = at(rhs, r) + wt * xr * target;
      const nr = normal[r] as number[];
      for (let c = 0; c < p; c++) nr[c] = at(nr, c) + wt * xr * at(columns[c] as number[], i);
    }
  }
  const coef = solveLinear(normal, rhs);
  if (coef === null) return null;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    let model = at(offset, i);
    for (let r = 0; r < p; r++) model += at(coef, r) * at(columns[r] as number[], i);
    sse += (at(data.weight, i) * (model - at(data.w, i))) ** 2;
  }
  return { coef, sse };
}

/**
 * Best (a, c, d) for fixed (m, σ) subject to c ≥ |d| (|ρ| ≤ 1) and c + |d| ≤ 2σ (Lee: b(1+|ρ|) ≤ 2).
 * The feasible (c, d) set is a square with corners (0,0), (σ,σ), (2σ,0), (σ,-σ); the problem is convex, so
 * the optimum is the best of the unconstrained solutions on the interior, the four edges and the corners
 * that land inside their face.
 */
function innerFit(data: FitData, m: number, sigma: number): LinearFit | null {
  const n = data.k.length;
  const y = data.k.map((k) => (k - m) / sigma);
  const z = y.map((v) => Math.sqrt(v * v + 1));
  const ones = new Array<number>(n).fill(1);
  const zeros = new Array<number>(n).fill(0);
  const slack = 1e-12 * sigma;
  let best: LinearFit | null = null;
  const consider = (candidate: LinearFit): void => {
    if (best === null || candidate.sse < best.sse) best = candidate;
  };

  const full = weightedLsq(data, zeros, [ones, y, z]);
  if (full !== null) {
    const [a, d, c] = full.coef as [number, number, number];
    if (c >= Math.abs(d) - slack && c + Math.abs(d) <= 2 * sigma + slack)
      consider({ a, c, d, sse: full.sse });
  }
  // Edges: (c, d) = P + t·D, t ∈ [0, σ].
  const edges: [number, number, number, number][] = [
    [0, 0, 1, 1],
    [0, 0, 1, -1],
    [sigma, sigma, 1, -1],
    [sigma, -sigma, 1, 1],
  ];
  for (const [pc, pd, dc, dd] of edges) {
    const offset = y.map((yi, i) => pc * at(z, i) + pd * yi);
    const column = y.map((yi, i) => dc * at(z, i) + dd * yi);
    const fit = weightedLsq(data, offset, [ones, column]);
    if (fit === null) continue;
    const [a, t] = fit.coef as [number, number];
    if (t >= 0 && t <= sigma) consider({ a, c: pc + t * dc, d: pd + t * dd, sse: fit.sse });
  }
  const corners: [number, number][] = [
    [0, 0],
    [sigma, sigma],
    [sigma, -sigma],
    [2 * sigma, 0],
  ];
  for (const [c, d] of corners) {
    const offset = y.map((yi, i) => c * at(z, i) + d * yi);
    const fit = weightedLsq(data, offset, [ones]);
    if (fit !== null) consider({ a: at(fit.coef, 0), c, d, sse: fit.sse });
  }
  return best;
}

function toSlice(fit: LinearFit, m: number, sigma: number): SviSlice {
  const b = fit.c / sigma;
  const rho = fit.c > 0 ? Math.max(-1, Math.min(1, fit.d / fit.c)) : 0;
  return { a: fit.a, b, rho, m, sigma };
}

function weightedSse(data: FitData, slice: SviSlice): number {
  let sse = 0;
  for (let i = 0; i < data.k.length; i++) {
    sse += (at(data.weight, i) * (sviTotalVariance(slice, at(data.k, i)) - at(data.w, i))) ** 2;
  }
  return sse;
}

/** Inner fit, moved to the nearest slice with w ≥ 0 everywhere if it dips below zero. */
function feasibleFit(data: FitData, m: number, sigma: number): { slice: SviSlice; sse: number } | null {
  const fit = innerFit(data, m, sigma);
  if (fit === null) return null;
  let slice = toSlice(fit, m, sigma);
  let sse = fit.sse;
  const minW = sviMinimumVariance(slice);
  if (minW < 0) {
    slice = { ...slice, a: slice.a - minW };
    sse = weightedSse(data, slice);
  }
  return { slice, sse };
}

export interface CalibrateSviOptions {
  /** Number of (m, σ) Nelder–Mead starts kept from the start grid; default 3. */
  readonly starts?: number;
}

/**
 * Fits a raw SVI slice to implied vols at strikes for one expiry. Deterministic. The fit minimises
 * Σ ((w_model - w_i) / (2 σ_i T))², i.e. squared vol errors to first order, within the parameter bounds
 * b ≥ 0, |ρ| ≤ 1, b(1+|ρ|) ≤ 2, σ ∈ [1e-4, 10], w ≥ 0. Needs at least five distinct strikes.
 */
export function calibrateSvi(
  points: readonly SmilePoint[],
  forward: number,
  years: number,
  options: CalibrateSviOptions = {},
): SviFit {
  if (!(forward > 0) || !Number.isFinite(forward))
    throw new RangeError(`forward must be > 0, got ${forward}`);
  if (!(years > 0) || !Number.isFinite(years)) throw new RangeError(`years must be > 0, got ${years}`);
  for (const p of points) {
    if (!(p.strike > 0) || !Number.isFinite(p.strike))
      throw new RangeError(`strike must be > 0, got ${p.strike}`);
    if (!(p.vol > 0) || !Number.isFinite(p.vol)) throw new RangeError(`vol must be > 0, got ${p.vol}`);
  }
  if (new Set(points.map((p) => p.strike)).size < 5) {
    throw new RangeError(`SVI has five parameters: need at least 5 distinct strikes, got ${points.length}`);
  }
  const k = points.map((p) => Math.log(p.strike / forward));
  const data: FitData = {
    k,
    w: points.map((p) => p.vol * p.vol * years),
    weight: points.map((p) => 1 / (2 * p.vol * years)),
  };
  const kMin = Math.min(...k);
  const kMax = Math.max(...k);
  const width = Math.max(kMax - kMin, 1e-3);
  const SIGMA_MIN = 1e-4;
  const SIGMA_MAX = 10;

  const objective = (x: readonly number[]): number => {
    const m = at(x, 0);
    const sigma = Math.exp(at(x, 1));
    if (!(sigma >= SIGMA_MIN && sigma <= SIGMA_MAX) || m < kMin - 2 * width || m > kMax + 2 * width)
      return Infinity;
    return feasibleFit(data, m, sigma)?.sse ?? Infinity;
  };

  const starts: { x: number[]; v: number }[] = [];
  for (let i = 0; i <= 6; i++) {
    for (const sigma of [0.3, 1, 3].map((f) => f * width * 0.1).concat([0.01, 0.1, 0.5])) {
      const x = [kMin + (width * i) / 6, Math.log(Math.min(Math.max(sigma, SIGMA_MIN), SIGMA_MAX))];
      starts.push({ x, v: objective(x) });
    }
  }
  starts.sort((p, q) => p.v - q.v);
  let bestX = (starts[0] as { x: number[] }).x;
  let bestV = Infinity;
  for (const start of starts.slice(0, options.starts ?? 3)) {
    const result = nelderMead(objective, start.x, [0.1 * width, 0.5], {
      maxIterations: 4000,
      xTolerance: 1e-11,
    });
    if (result.value < bestV) {
      bestV = result.value;
      bestX = result.x;
    }
  }
  const fit = feasibleFit(data, at(bestX, 0), Math.exp(at(bestX, 1)));
  if (fit === null) throw new RangeError('SVI calibration failed: degenerate strikes');
  let sumSq = 0;
  let maxAbs = 0;
  points.forEach((p, i) => {
    const err = sviVol(fit.slice, at(k, i), years) - p.vol;
    sumSq += err * err;
    maxAbs = Math.max(maxAbs, Math.abs(err));
  });
  return { slice: fit.slice, rmseVol: Math.sqrt(sumSq / points.length), maxAbsErrorVol: maxAbs };
}
