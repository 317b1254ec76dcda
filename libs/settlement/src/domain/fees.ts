import { Decimal, DomainError } from '@app/core';

/** Decimals of a USDC amount the platform books: premiums and fees are rounded to 1e-8. */
export const CASH_SCALE = 8;

/** Half-even (banker's) rounding to 1e-8, so rounding errors do not drift one way over many fills. */
export function roundCash(amount: Decimal): Decimal {
  return amount.toDecimalPlaces(CASH_SCALE, Decimal.ROUND_HALF_EVEN);
}

export interface FeeInput {
  /** Absolute premium of the fill in USDC. */
  premiumAbs: Decimal;
  /** Structure quantity: the per-contract fee is charged per structure unit, not per leg contract. */
  quantity: Decimal;
  /** Basis points of the premium (negative = rebate). */
  bps: Decimal;
  /** USDC per structure unit (negative = rebate). */
  perContract: Decimal;
}

/**
 * fee = |premium| × bps / 10 000 + quantity × perContract, rounded to 1e-8 USDC half-even.
 * The premium's sign says who pays whom, not how much was traded, so the fee is on its size.
 */
export function computeFees(input: FeeInput): Decimal {
  const { premiumAbs, quantity, bps, perContract } = input;
  if (premiumAbs.isNegative() || quantity.isNegative()) {
    throw new DomainError(
      'SETTLEMENT.INVALID_FEE_INPUT',
      'premiumAbs and quantity must not be negative',
      'bad_request',
      [{ field: premiumAbs.isNegative() ? 'premiumAbs' : 'quantity', message: 'must not be negative' }],
    );
  }
  return roundCash(premiumAbs.mul(bps).div(10_000).plus(quantity.mul(perContract)));
}
