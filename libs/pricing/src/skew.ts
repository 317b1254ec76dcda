/**
 * Inventory-aware quoting: the multi-factor form of Avellaneda & Stoikov (2008), "High-frequency trading in
 * a limit order book", Quantitative Finance 8(3) 217-224.
 *
 * A quoted instrument has factor sensitivities g per unit; the book already holds factor exposures I; Σ is
 * the covariance of factor moves over the horizon τ, so P&L variance of exposure x is x'Σx. Then
 *   shift       = -γ I'Σg                       (reservation price moves against the inventory's risk)
 *   halfSpread  = base + γ/2 · g'Σg · quantity + (1/γ) ln(1 + γ/k)
 *   reservation = theo + shift,  bid = reservation - halfSpread,  ask = reservation + halfSpread.
 * With one linear factor (g = [1], Σ = [[σ²τ]], I = [q], quantity 1, base 0) this is exactly the paper's
 * r = s - qγσ²τ and δa + δb = γσ²τ + (2/γ) ln(1 + γ/k).
 *
 * Units of g and I (so that g·Δfactor is P&L in quote currency):
 *  - spot factor: delta in underlying units (dV/dS, e.g. BTC), the factor move is in price units;
 *  - vol factor: vega per vol point (dV per 0.01 of vol), the factor move is in vol points.
 */
import { type Matrix, at, cholesky, quadraticForm, row } from './linear-algebra.js';

export interface QuoteFromRiskInput {
  /** Fair value of one unit (mid/theoretical price), quote currency. */
  readonly theo: number;
  /** Factor sensitivities of one unit of the quoted instrument. */
  readonly g: readonly number[];
  /** Factor exposures of the current book (same units as g), positive = long. */
  readonly inventory: readonly number[];
  /** Covariance of factor moves over the horizon τ (see riskCovariance). */
  readonly covariance: Matrix;
  /** Risk aversion γ ≥ 0, per unit of quote currency. γ → 0 gives the risk-neutral limit. */
  readonly gamma: number;
  /** Order-arrival decay k > 0 of λ(δ) = A e^{-kδ}, per unit of quote currency. */
  readonly k: number;
  /** Size being quoted, in units of the instrument (≥ 0). */
  readonly quantity: number;
  /** Fixed half spread (fees, operational margin), quote currency per unit. */
  readonly baseHalfSpread: number;
}

export interface RiskQuote {
  readonly reservation: number;
  readonly shift: number;
  readonly halfSpread: number;
  readonly bid: number;
  readonly ask: number;
  readonly parts: { readonly base: number; readonly inventoryRisk: number; readonly liquidity: number };
}

/** (1/γ) ln(1 + γ/k), continuous at γ = 0 where it is 1/k. */
export function liquidityHalfSpread(gamma: number, k: number): number {
  if (gamma === 0) return 1 / k;
  return Math.log1p(gamma / k) / gamma;
}

function checkDimensions(g: readonly number[], inventory: readonly number[], covariance: Matrix): void {
  const n = g.length;
  if (inventory.length !== n) throw new RangeError(`inventory has ${inventory.length} factors, g has ${n}`);
  if (covariance.length !== n || covariance.some((r) => r.length !== n)) {
    throw new RangeError(`covariance must be ${n}x${n}`);
  }
  for (const v of [...g, ...inventory, ...covariance.flat()]) {
    if (!Number.isFinite(v)) throw new RangeError('g, inventory and covariance must be finite');
  }
}

/** Bid/ask around a reservation price skewed by the book's risk; see the module comment for the formulas. */
export function quoteFromRisk(input: QuoteFromRiskInput): RiskQuote {
  const { theo, g, inventory, covariance, gamma, k, quantity, baseHalfSpread } = input;
  checkDimensions(g, inventory, covariance);
  if (!Number.isFinite(theo)) throw new RangeError(`theo must be finite, got ${theo}`);
  if (!(gamma >= 0) || !Number.isFinite(gamma)) throw new RangeError(`gamma must be >= 0, got ${gamma}`);
  if (!(k > 0) || !Number.isFinite(k)) throw new RangeError(`k must be > 0, got ${k}`);
  if (!(quantity >= 0) || !Number.isFinite(quantity))
    throw new RangeError(`quantity must be >= 0, got ${quantity}`);
  if (!(baseHalfSpread >= 0)) throw new RangeError(`baseHalfSpread must be >= 0, got ${baseHalfSpread}`);

  const shift = -gamma * quadraticForm(inventory, covariance, g);
  const inventoryRisk = (gamma / 2) * quadraticForm(g, covariance, g) * quantity;
  const liquidity = liquidityHalfSpread(gamma, k);
  const halfSpread = baseHalfSpread + inventoryRisk + liquidity;
  const reservation = theo + shift;
  return {
    reservation,
    shift,
    halfSpread,
    bid: reservation - halfSpread,
    ask: reservation + halfSpread,
    parts: { base: baseHalfSpread, inventoryRisk, liquidity },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Factor covariance

export interface UnderlyingRisk {
  readonly underlying: string;
  readonly spot: number;
  /** Index (spot) volatility, annualised: 0.6 = 60 %. */
  readonly vol: number;
  /**
   * Volatility of implied vol in vol points per √year (e.g. 60 ≈ 3 vol points a day), either one number for
   * all buckets or one per bucket (short expiries' vols move more).
   */
  readonly volOfVol: number | Readonly<Record<string, number>>;
  /** Correlation between spot moves and implied-vol moves (typically negative for BTC). */
  readonly spotVolCorrelation: number;
  /** Expiry buckets that get a vol factor, e.g. ['0-7d', '7-30d', '30-90d', '90d+']. */
  readonly buckets: readonly string[];
}

export interface RiskCovarianceInput {
  readonly underlyings: readonly UnderlyingRisk[];
  /** Horizon τ in years over which the risk is held (e.g. expected time to unwind). */
  readonly tau: number;
  /**
   * Correlation between implied-vol moves of two buckets of one underlying: a number for all pairs or a
   * function of the two bucket names. Default 0.9.
   */
  readonly bucketCorrelation?: number | ((a: string, b: string) => number);
  /** Correlation between two underlyings' spot moves, looked up in either order; default 0. */
  readonly spotCorrelation?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface RiskFactor {
  /** 'BTC:spot' or 'BTC:vol:7-30d'. */
  readonly key: string;
  readonly underlying: string;
  readonly kind: 'spot' | 'vol';
  readonly bucket?: string;
}

export interface RiskCovariance {
  readonly factors: readonly RiskFactor[];
  readonly covariance: number[][];
}

function spotFactorKey(underlying: string): string {
  return `${underlying}:spot`;
}

function volFactorKey(underlying: string, bucket: string): string {
  return `${underlying}:vol:${bucket}`;
}

function checkCorrelation(name: string, rho: number): number {
  if (!(Math.abs(rho) <= 1)) throw new RangeError(`${name} must be a correlation in [-1, 1], got ${rho}`);
  return rho;
}

/**
 * Covariance of factor moves over τ. Factors, per underlying: spot (standard deviation σ·S·√τ in price
 * units) and one implied vol per expiry bucket (volOfVol·√τ in vol points). Correlations come from a factor
 * model: a bucket's vol move is ρ_sv·(its spot shock) plus an idiosyncratic part shared across buckets of the
 * same underlying only, so
 *   corr(S_i, S_j) = ρ_ij,  corr(S_i, V_j·) = ρ_ij ρ_sv,j,  corr(V_i·, V_j·) = ρ_sv,i ρ_ij ρ_sv,j (i ≠ j),
 *   corr(V_ib, V_ic) = bucketCorrelation(b, c) within one underlying.
 * Throws if the inputs are not a valid (positive semi-definite) correlation structure.
 */
export function riskCovariance(input: RiskCovarianceInput): RiskCovariance {
  const { tau } = input;
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new RangeError(`tau must be >= 0, got ${tau}`);
  const bucketCorrelation = input.bucketCorrelation ?? 0.9;
  const spotCorr = (a: string, b: string): number => {
    if (a === b) return 1;
    const rho = input.spotCorrelation?.[a]?.[b] ?? input.spotCorrelation?.[b]?.[a] ?? 0;
    return checkCorrelation(`spot correlation ${a}/${b}`, rho);
  };
  const bucketCorr = (a: string, b: string): number => {
    if (a === b) return 1;
    const rho = typeof bucketCorrelation === 'number' ? bucketCorrelation : bucketCorrelation(a, b);
    return checkCorrelation(`bucket correlation ${a}/${b}`, rho);
  };

  interface Entry extends RiskFactor {
    readonly sd: number;
    readonly rhoSv: number;
  }
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const u of input.underlyings) {
    if (seen.has(u.underlying)) throw new RangeError(`underlying ${u.underlying} listed twice`);
    seen.add(u.underlying);
    if (!(u.spot > 0) || !(u.vol >= 0))
      throw new RangeError(`${u.underlying}: spot must be > 0 and vol >= 0`);
    const rhoSv = checkCorrelation(`${u.underlying} spot-vol correlation`, u.spotVolCorrelation);
    entries.push({
      key: spotFactorKey(u.underlying),
      underlying: u.underlying,
      kind: 'spot',
      sd: u.vol * u.spot * Math.sqrt(tau),
      rhoSv,
    });
    for (const bucket of u.buckets) {
      const vov = typeof u.volOfVol === 'number' ? u.volOfVol : u.volOfVol[bucket];
      if (vov === undefined || !(vov >= 0))
        throw new RangeError(`${u.underlying}: no volOfVol >= 0 for bucket ${bucket}`);
      entries.push({
        key: volFactorKey(u.underlying, bucket),
        underlying: u.underlying,
        kind: 'vol',
        bucket,
        sd: vov * Math.sqrt(tau),
        rhoSv,
      });
    }
  }

  const correlation = (p: Entry, q: Entry): number => {
    if (p === q) return 1;
    const sameUnderlying = p.underlying === q.underlying;
    if (p.kind === 'spot' && q.kind === 'spot') return spotCorr(p.underlying, q.underlying);
    if (p.kind === 'spot') return spotCorr(p.underlying, q.underlying) * q.rhoSv;
    if (q.kind === 'spot') return spotCorr(p.underlying, q.underlying) * p.rhoSv;
    if (sameUnderlying) return bucketCorr(p.bucket ?? '', q.bucket ?? '');
    return p.rhoSv * spotCorr(p.underlying, q.underlying) * q.rhoSv;
  };
  const corr = entries.map((p) => entries.map((q) => correlation(p, q)));
  if (cholesky(corr, 1e-10) === null) {
    throw new RangeError(
      'correlations are inconsistent (matrix not positive semi-definite): bucket correlation must be at least the squared spot-vol correlation, roughly',
    );
  }
  // Built from the upper triangle so the matrix is symmetric to the bit.
  const covariance = entries.map((p, i) =>
    entries.map((q, j) => (i <= j ? at(row(corr, i), j) * p.sd * q.sd : at(row(corr, j), i) * q.sd * p.sd)),
  );
  return {
    factors: entries.map(({ key, underlying, kind, bucket }) => ({
      key,
      underlying,
      kind,
      ...(bucket === undefined ? {} : { bucket }),
    })),
    covariance,
  };
}

export interface FactorExposure {
  readonly underlying: string;
  /** Delta in underlying units (dV/dS). */
  readonly delta?: number;
  /** Expiry bucket of the vega. */
  readonly bucket?: string;
  /** Vega per vol point. */
  readonly vegaPerPoint?: number;
}

/** Maps exposures onto the factor order of riskCovariance (sums repeated entries). */
export function exposureVector(
  factors: readonly RiskFactor[],
  exposures: readonly FactorExposure[],
): number[] {
  const index = new Map(factors.map((f, i) => [f.key, i]));
  const out = new Array<number>(factors.length).fill(0);
  const add = (key: string, value: number): void => {
    const i = index.get(key);
    if (i === undefined) throw new RangeError(`no risk factor ${key}`);
    out[i] = at(out, i) + value;
  };
  for (const e of exposures) {
    if (e.delta !== undefined && e.delta !== 0) add(spotFactorKey(e.underlying), e.delta);
    if (e.vegaPerPoint !== undefined && e.vegaPerPoint !== 0) {
      if (e.bucket === undefined) throw new RangeError(`vega exposure on ${e.underlying} needs a bucket`);
      add(volFactorKey(e.underlying, e.bucket), e.vegaPerPoint);
    }
  }
  return out;
}
