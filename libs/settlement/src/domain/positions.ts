import { Decimal } from '@app/core';

export interface PositionState {
  /** Signed contracts: + long, - short. */
  quantity: Decimal;
  /**
   * Signed USDC cost of the open quantity (Σ qty × price × multiplier of what is still open):
   * positive for a long, negative for a short (the proceeds received).
   */
  costBasis: Decimal;
  realisedPnl: Decimal;
}

export interface PositionTrade {
  /** Signed: + bought, - sold. */
  quantity: Decimal;
  price: Decimal;
  multiplier: Decimal;
}

/** Decimals of cost basis and realised P&L (the positions table stores 12). */
export const POSITION_SCALE = 12;

/**
 * Average-cost method. A trade in the direction of the position (or from flat) adds its cost;
 * a reducing trade releases the average cost of the closed part and realises the difference to
 * its trade value; a trade through zero closes the whole position, then opens the rest at the
 * trade price.
 *
 * Only the released cost of a partial close is rounded (to 1e-12, the stored scale), and the
 * same rounded amount leaves the cost basis and enters realised P&L, so realised − cost basis
 * moves by exactly −trade value: realised + unrealised always equals cash flow + position × mark.
 */
export function applyTrade(position: PositionState, trade: PositionTrade): PositionState {
  const q0 = position.quantity;
  const t = trade.quantity;
  const unitValue = trade.price.mul(trade.multiplier);
  if (t.isZero()) return { ...position };

  if (q0.isZero() || q0.isNegative() === t.isNegative()) {
    return {
      quantity: q0.plus(t),
      costBasis: position.costBasis.plus(t.mul(unitValue)),
      realisedPnl: position.realisedPnl,
    };
  }

  // Opposite directions: close min(|t|, |q0|), signed like the position.
  const closesAll = t.abs().gte(q0.abs());
  const closed = closesAll ? q0 : t.negated();
  const releasedCost = closesAll
    ? position.costBasis
    : position.costBasis.mul(closed).div(q0).toDecimalPlaces(POSITION_SCALE, Decimal.ROUND_HALF_EVEN);
  const realisedPnl = position.realisedPnl.plus(closed.mul(unitValue)).minus(releasedCost);
  const opened = t.plus(closed);
  return {
    quantity: q0.plus(t),
    costBasis: position.costBasis.minus(releasedCost).plus(opened.mul(unitValue)),
    realisedPnl,
  };
}

/** Mark-to-market P&L of the open quantity: its value at the mark minus what it cost. */
export function unrealisedPnl(position: PositionState, mark: Decimal, multiplier: Decimal): Decimal {
  return position.quantity.mul(mark).mul(multiplier).minus(position.costBasis);
}

export const FLAT_POSITION: PositionState = Object.freeze({
  quantity: new Decimal(0),
  costBasis: new Decimal(0),
  realisedPnl: new Decimal(0),
});
