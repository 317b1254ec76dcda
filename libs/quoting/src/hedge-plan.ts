/**
 * Delta hedging decisions: the Whalley–Wilmott no-trade band around zero delta, the perpetual trade that
 * brings the book back to the band's edge, and its execution price in a stylised order book. Pure.
 */
import { Decimal, roundToStep } from '@app/core';
import {
  type BookShape,
  depthSlippage,
  type HedgeBand,
  hedgeDecision,
  whalleyWilmottBand,
} from '@app/pricing';
import type { Side } from '@app/rfq';

/**
 * The hedge venue's perpetual book, relative to the index so one shape serves every underlying: best
 * bid/ask 0.5 bp from the index, then a level every further 0.5 bp, each 250 000 USDC deep (2.5 BTC at
 * 100 000, ~71 ETH at 3 500). A 10 BTC hedge walks four levels and pays ~1.25 bp on average, close to the
 * 2 bp proportional cost the band assumes by default.
 */
export interface HedgeBookModel {
  readonly halfSpreadBps: number;
  readonly levelStepBps: number;
  /** USDC of notional at each level. */
  readonly depthPerLevelNotional: number;
}

export const HEDGE_BOOK: HedgeBookModel = {
  halfSpreadBps: 0.5,
  levelStepBps: 0.5,
  depthPerLevelNotional: 250_000,
};

/** The book around `index` (sizes in underlying units, as depthSlippage takes them). */
export function hedgeBook(index: number, model: HedgeBookModel = HEDGE_BOOK): BookShape {
  return {
    mid: index,
    halfSpread: (index * model.halfSpreadBps) / 1e4,
    levelStep: (index * model.levelStepBps) / 1e4,
    depthPerLevel: model.depthPerLevelNotional / index,
  };
}

export interface PerpSpec {
  readonly tickSize: Decimal;
  readonly lotSize: Decimal;
  /** Underlying units per contract (its delta). */
  readonly multiplier: Decimal;
}

export interface HedgePlanInput {
  /** Book delta on the underlying, underlying units (options, futures and perpetuals). */
  readonly delta: number;
  /** Book gamma d²V/dS². */
  readonly gamma: number;
  /** Index price. */
  readonly spot: number;
  /** Proportional cost λ of trading the hedge (hedgeCostBps / 1e4). */
  readonly costRate: number;
  /** Risk aversion per USDC (the strategy's γ in USDC, see riskAversionPerUsd). */
  readonly riskAversion: number;
  readonly perp: PerpSpec;
  readonly book?: HedgeBookModel;
}

export interface HedgePlan {
  /** The maker's side on the perpetual. */
  readonly side: Side;
  /** Contracts, positive, a whole number of lots. */
  readonly quantity: Decimal;
  /** Execution price, on the tick, rounded against the maker. */
  readonly price: Decimal;
  /** Index at the decision (8 dp). */
  readonly referencePrice: Decimal;
  /** |price − index| × quantity × multiplier, USDC (≥ 0). */
  readonly slippageCost: Decimal;
  readonly deltaBefore: number;
  readonly deltaAfter: number;
  readonly band: HedgeBand;
}

/**
 * The hedge for a book, or null inside the band (or when the trade is less than one lot). The band's
 * half-width is at least one lot: a book within one lot of flat cannot be hedged closer.
 */
export function planHedge(input: HedgePlanInput): HedgePlan | null {
  const { perp } = input;
  const multiplier = perp.multiplier.toNumber();
  const band = whalleyWilmottBand({
    gamma: input.gamma,
    spot: input.spot,
    costRate: input.costRate,
    riskAversion: input.riskAversion,
    minHalfWidth: perp.lotSize.toNumber() * multiplier,
  });
  const units = hedgeDecision({ delta: input.delta, band });
  if (units === 0) return null;
  // Toward zero: the book ends just outside the edge rather than past it.
  const quantity = roundToStep(new Decimal(Math.abs(units) / multiplier), perp.lotSize, 'down');
  if (quantity.isZero()) return null;
  const side: Side = units > 0 ? 'BUY' : 'SELL';
  const signedUnits = quantity.toNumber() * multiplier * (side === 'BUY' ? 1 : -1);
  const execution = depthSlippage(signedUnits, hedgeBook(input.spot, input.book));
  const price = roundToStep(
    new Decimal(execution.averagePrice),
    perp.tickSize,
    side === 'BUY' ? 'up' : 'down',
  );
  const referencePrice = new Decimal(input.spot).toDecimalPlaces(8);
  return {
    side,
    quantity,
    price,
    referencePrice,
    slippageCost: price.minus(referencePrice).abs().mul(quantity).mul(perp.multiplier),
    deltaBefore: input.delta,
    deltaAfter: input.delta + signedUnits,
    band,
  };
}
