/**
 * Delta hedging under proportional transaction costs.
 *
 * Whalley & Wilmott (1997), "An asymptotic analysis of an optimal hedging model for option pricing with
 * transaction costs", Mathematical Finance 7(3): for small costs the optimal strategy leaves the hedge alone
 * while the delta stays inside a band around its target and trades back to the nearest edge when it leaves:
 *   H = (3/2 · e^{-rτ} · λ · S · Γ² / γ)^{1/3}
 * with λ the proportional cost (fraction of traded notional), S the spot, Γ the portfolio gamma (dΔ/dS),
 * γ the (exponential utility) risk aversion and τ the time to expiry. A wider band trades less and pays less
 * cost for more hedging error. H is in delta units (underlying units).
 */
import { assertFinite } from './black76.js';

export interface WhalleyWilmottInput {
  /** Portfolio gamma d²V/dS² (underlying units per unit of price). */
  readonly gamma: number;
  readonly spot: number;
  /** Proportional transaction cost λ, e.g. 0.0005 for 5 bp of notional. */
  readonly costRate: number;
  /** Risk aversion γ > 0 (per unit of quote currency). */
  readonly riskAversion: number;
  /** Discount rate r, default 0. */
  readonly rate?: number;
  /** Time to expiry τ in years (discounting only), default 0. */
  readonly tau?: number;
  /** Smallest half-width used, so a flat-gamma book does not rehedge every tick. Default 0. */
  readonly minHalfWidth?: number;
  /** Delta the hedge aims at, default 0 (flat). */
  readonly target?: number;
}

export interface HedgeBand {
  readonly target: number;
  /** max(H, minHalfWidth). */
  readonly halfWidth: number;
  /** The Whalley–Wilmott H before the minimum is applied. */
  readonly whalleyWilmott: number;
  readonly lower: number;
  readonly upper: number;
}

/** Whalley–Wilmott no-trade band around the target delta. */
export function whalleyWilmottBand(input: WhalleyWilmottInput): HedgeBand {
  const rate = input.rate ?? 0;
  const tau = input.tau ?? 0;
  const minHalfWidth = input.minHalfWidth ?? 0;
  const target = input.target ?? 0;
  for (const [name, v] of [
    ['gamma', input.gamma],
    ['spot', input.spot],
    ['costRate', input.costRate],
    ['riskAversion', input.riskAversion],
    ['rate', rate],
    ['tau', tau],
    ['minHalfWidth', minHalfWidth],
    ['target', target],
  ] as const) {
    assertFinite(name, v);
  }
  if (!(input.spot > 0)) throw new RangeError(`spot must be > 0, got ${input.spot}`);
  if (input.costRate < 0) throw new RangeError(`costRate must be >= 0, got ${input.costRate}`);
  if (!(input.riskAversion > 0)) throw new RangeError(`riskAversion must be > 0, got ${input.riskAversion}`);
  if (tau < 0 || minHalfWidth < 0) throw new RangeError('tau and minHalfWidth must be >= 0');
  const h = Math.cbrt(
    (1.5 * Math.exp(-rate * tau) * input.costRate * input.spot * input.gamma * input.gamma) /
      input.riskAversion,
  );
  const halfWidth = Math.max(h, minHalfWidth);
  return { target, halfWidth, whalleyWilmott: h, lower: target - halfWidth, upper: target + halfWidth };
}

/**
 * Quantity of underlying to trade (positive = buy) to bring `delta` back to the nearest edge of the band;
 * zero inside the band (edges included).
 */
export function hedgeDecision(input: {
  readonly delta: number;
  readonly band: Pick<HedgeBand, 'lower' | 'upper'>;
}): number {
  const { delta, band } = input;
  assertFinite('delta', delta);
  if (!(band.lower <= band.upper)) throw new RangeError(`band lower ${band.lower} > upper ${band.upper}`);
  if (delta > band.upper) return band.upper - delta;
  if (delta < band.lower) return band.lower - delta;
  return 0;
}

export interface BookShape {
  readonly mid: number;
  /** Distance from mid to the best bid/ask. */
  readonly halfSpread: number;
  /** Size available at each price level. */
  readonly depthPerLevel: number;
  /** Price distance between consecutive levels. */
  readonly levelStep: number;
}

export interface Execution {
  /** Volume-weighted price paid (buy) or received (sell); the mid for a zero quantity. */
  readonly averagePrice: number;
  /** Cost against the mid, ≥ 0: Σ |price - mid|·size. */
  readonly cost: number;
}

/**
 * Walks a stylised book with `depthPerLevel` at mid ± (halfSpread + i·levelStep), i = 0, 1, ...; positive
 * quantity buys up the asks, negative sells into the bids. Closed form for n full levels and a remainder r:
 * cost = D(n·h + s·n(n-1)/2) + r(h + n·s).
 */
export function depthSlippage(quantity: number, book: BookShape): Execution {
  assertFinite('quantity', quantity);
  const { mid, halfSpread, depthPerLevel, levelStep } = book;
  for (const [name, v] of [
    ['mid', mid],
    ['halfSpread', halfSpread],
    ['depthPerLevel', depthPerLevel],
    ['levelStep', levelStep],
  ] as const) {
    assertFinite(name, v);
  }
  if (!(depthPerLevel > 0)) throw new RangeError(`depthPerLevel must be > 0, got ${depthPerLevel}`);
  if (halfSpread < 0 || levelStep < 0) throw new RangeError('halfSpread and levelStep must be >= 0');
  const size = Math.abs(quantity);
  if (size === 0) return { averagePrice: mid, cost: 0 };
  const fullLevels = Math.floor(size / depthPerLevel);
  const remainder = size - fullLevels * depthPerLevel;
  const cost =
    depthPerLevel * (fullLevels * halfSpread + (levelStep * fullLevels * (fullLevels - 1)) / 2) +
    remainder * (halfSpread + fullLevels * levelStep);
  const side = quantity > 0 ? 1 : -1;
  return { averagePrice: mid + (side * cost) / size, cost };
}
