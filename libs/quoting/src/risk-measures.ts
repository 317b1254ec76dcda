/**
 * Book risk as the quoting strategy, the settlement gate and the risk report all measure it: per
 * underlying delta, gamma, vega and gross notional from per-contract Greeks, and the hard-limit rule.
 * Pure functions on doubles; the callers value instruments (MarketDataService) and convert decimals.
 */
import type { FactorExposure } from '@app/pricing';

/** Per-contract risk of one instrument at the current market (Greeks already × multiplier). */
export interface InstrumentRisk {
  readonly instrument: string;
  readonly underlying: string;
  readonly kind: 'OPTION' | 'FUTURE' | 'PERPETUAL';
  /** Units of underlying per contract. */
  readonly multiplier: number;
  /** Expiry bucket of the vega ('0-7d', '7-30d', '30-90d', '90d+'; 'perp' for perpetuals). */
  readonly bucket: string;
  /** Mark per unit of underlying, USDC. */
  readonly mark: number;
  /** dV/dS per contract, underlying units (spot delta). */
  readonly delta: number;
  /** d²V/dS² per contract. */
  readonly gamma: number;
  /** USDC per contract per vol point. */
  readonly vegaPerPoint: number;
  /** USDC per contract per calendar day. */
  readonly thetaPerDay: number;
}

export interface Holding {
  /** Signed contracts. */
  readonly quantity: number;
  readonly risk: InstrumentRisk;
}

/** What the hard limits are measured on, per underlying. */
export interface UnderlyingExposure {
  /** Σ q·delta, underlying units. */
  delta: number;
  /** Σ q·gamma. */
  gamma: number;
  /** Σ q·vegaPerPoint over every expiry, USDC per vol point. */
  vegaPerPoint: number;
  /** Σ q·thetaPerDay, USDC per day. */
  thetaPerDay: number;
  /** Σ |q|·multiplier·spot, USDC: the underlying amount the book controls, long or short. */
  grossNotional: number;
}

export function zeroExposure(): UnderlyingExposure {
  return { delta: 0, gamma: 0, vegaPerPoint: 0, thetaPerDay: 0, grossNotional: 0 };
}

export interface AggregatedRisk {
  readonly byUnderlying: Record<string, UnderlyingExposure>;
  /** Per underlying and expiry bucket (same measures, gross notional included). */
  readonly byBucket: Record<string, Record<string, UnderlyingExposure>>;
  /** Delta per underlying and vega per (underlying, bucket), for `exposureVector`. */
  readonly exposures: FactorExposure[];
}

/** Sums holdings by underlying and bucket; `spots` gives the notional of each underlying. */
export function aggregateRisk(
  holdings: readonly Holding[],
  spots: Readonly<Record<string, number>>,
): AggregatedRisk {
  const byUnderlying: Record<string, UnderlyingExposure> = {};
  const byBucket: Record<string, Record<string, UnderlyingExposure>> = {};
  for (const { quantity, risk } of holdings) {
    if (quantity === 0) continue;
    const spot = spots[risk.underlying] ?? 0;
    for (const target of [
      (byUnderlying[risk.underlying] ??= zeroExposure()),
      ((byBucket[risk.underlying] ??= {})[risk.bucket] ??= zeroExposure()),
    ]) {
      target.delta += quantity * risk.delta;
      target.gamma += quantity * risk.gamma;
      target.vegaPerPoint += quantity * risk.vegaPerPoint;
      target.thetaPerDay += quantity * risk.thetaPerDay;
      target.grossNotional += Math.abs(quantity) * risk.multiplier * spot;
    }
  }
  const exposures: FactorExposure[] = [];
  for (const [underlying, buckets] of Object.entries(byBucket)) {
    exposures.push({ underlying, delta: byUnderlying[underlying]!.delta });
    for (const [bucket, e] of Object.entries(buckets)) {
      if (bucket !== 'perp' && e.vegaPerPoint !== 0)
        exposures.push({ underlying, bucket, vegaPerPoint: e.vegaPerPoint });
    }
  }
  return { byUnderlying, byBucket, exposures };
}

// ---------------------------------------------------------------------------------------------------------
// Hard limits

/** Hard limits of one maker on one underlying (risk_limits); null = no limit on that measure. */
export interface RiskLimitSet {
  readonly maxAbsDelta: number | null;
  readonly maxAbsGamma: number | null;
  /** USDC per vol point, summed over expiries. */
  readonly maxAbsVega: number | null;
  readonly maxGrossNotional: number | null;
  /** Worst loss of the stress grid, USDC (positive number). */
  readonly maxStressLoss: number | null;
}

export type ExposureLimit = 'maxAbsDelta' | 'maxAbsGamma' | 'maxAbsVega' | 'maxGrossNotional';

export const EXPOSURE_LIMITS: ReadonlyArray<{ limit: ExposureLimit; measure: keyof UnderlyingExposure }> = [
  { limit: 'maxAbsDelta', measure: 'delta' },
  { limit: 'maxAbsGamma', measure: 'gamma' },
  { limit: 'maxAbsVega', measure: 'vegaPerPoint' },
  { limit: 'maxGrossNotional', measure: 'grossNotional' },
];

export interface LimitBreach {
  readonly underlying: string;
  readonly limit: ExposureLimit | 'maxStressLoss';
  /** The measure after the trade (the worst loss, positive, for the stress limit). */
  readonly value: number;
  /** The measure before the trade. */
  readonly before: number;
  readonly max: number;
}

/** Relative slack so that a size computed to fit exactly is not refused by rounding noise. */
const LIMIT_TOLERANCE = 1e-9;

/**
 * A trade breaches a limit when it leaves the measure beyond the limit AND further from zero than it
 * was: a book already over a limit (the market moved, the limit was lowered) may always trade back
 * towards it, never away from it.
 */
export function breaches(before: number, after: number, max: number): boolean {
  const slack = LIMIT_TOLERANCE * Math.max(1, Math.abs(max));
  return Math.abs(after) > max + slack && Math.abs(after) > Math.abs(before) + slack;
}

/** Every exposure limit the move from `before` to `after` breaches on one underlying. */
export function exposureBreaches(
  underlying: string,
  before: UnderlyingExposure,
  after: UnderlyingExposure,
  limits: RiskLimitSet,
): LimitBreach[] {
  const out: LimitBreach[] = [];
  for (const { limit, measure } of EXPOSURE_LIMITS) {
    const max = limits[limit];
    if (max === null) continue;
    if (breaches(before[measure], after[measure], max))
      out.push({ underlying, limit, value: after[measure], before: before[measure], max });
  }
  return out;
}

/** One line per breach, for error messages: "maxAbsDelta on BTC: -60 beyond 50 (was -10)". */
export function describeBreach(b: LimitBreach): string {
  const fmt = (v: number) => String(Number(v.toPrecision(8)));
  return `${b.limit} on ${b.underlying}: ${fmt(b.value)} beyond ${fmt(b.max)} (was ${fmt(b.before)})`;
}
