import { Decimal, DomainError, decMin, isMultipleOf, roundToStep } from '@app/core';
import type { Side } from '@app/rfq';
import { rankQuotes } from './ranking.js';
import type { Allocation, ExecutionPlan, RankableQuote, SkipReason, SkippedQuote } from './types.js';

export interface PlanExecutionInput {
  takerSide: Side;
  quantity: Decimal;
  /** Worst net price the taker accepts (highest for a BUY, lowest for a SELL); null = any price. */
  limitPrice: Decimal | null;
  quotes: readonly RankableQuote[];
  /** Lot of the structure: every allocation is a whole number of lots. */
  lotSize: Decimal;
  /** The taker's all-or-none: without a complete fill nothing trades. */
  allOrNone: boolean;
}

/**
 * Plans the taker's execute: walks the quotes in priority order and takes what each can give,
 * immediate-or-cancel (whatever cannot be filled now is simply not filled, nothing rests).
 * Priority is never broken to find a fuller fill: a better-ranked quote is used first even if
 * skipping it would let an all-or-none quote further down complete the order.
 */
export function planExecution(input: PlanExecutionInput): ExecutionPlan {
  const { takerSide, quantity, limitPrice, quotes, lotSize, allOrNone } = input;
  assertLotSize(lotSize);
  if (!quantity.isFinite() || quantity.lte(0)) {
    throw new DomainError(
      'VALIDATION.QUANTITY',
      `quantity must be positive, got ${quantity.toFixed()}`,
      'bad_request',
      [{ field: 'quantity', message: 'must be positive' }],
    );
  }
  assertLotMultiple(quantity, lotSize);

  const ranked = rankQuotes(quotes, takerSide);
  const allocations: Allocation[] = [];
  const skipped: SkippedQuote[] = [];
  let need = quantity;

  for (const [index, quote] of ranked.entries()) {
    if (need.isZero()) break;
    if (limitPrice !== null && isBeyondLimit(takerSide, quote.price, limitPrice)) {
      // Ranked by price, so every later quote is beyond the limit as well; each is recorded
      // so the trade story shows why the better-looking size was not used.
      for (const rest of ranked.slice(index))
        skipped.push({ quoteId: rest.quoteId, reason: 'PRICE_BEYOND_LIMIT' });
      break;
    }
    const take = takeableQuantity(quote, need, lotSize);
    if (typeof take === 'string') {
      skipped.push({ quoteId: quote.quoteId, reason: take });
      continue;
    }
    allocations.push({ quoteId: quote.quoteId, makerId: quote.makerId, quantity: take, price: quote.price });
    need = need.minus(take);
  }

  if (allOrNone && !need.isZero()) {
    // The quotes that would have traded are reported too: they were passed over because the
    // taker's own all-or-none could not be met.
    for (const a of allocations) skipped.push({ quoteId: a.quoteId, reason: 'ALL_OR_NONE' });
    return { allocations: [], filled: new Decimal(0), unfilled: quantity, skipped };
  }
  return { allocations, filled: quantity.minus(need), unfilled: need, skipped };
}

/** Ask above the limit for a buyer, bid below the limit for a seller. */
export function isBeyondLimit(takerSide: Side, price: Decimal, limitPrice: Decimal): boolean {
  return takerSide === 'BUY' ? price.gt(limitPrice) : price.lt(limitPrice);
}

/**
 * What one quote can give towards `need`, or why it gives nothing. `need` is always a whole
 * number of lots; only a quote's remaining can be off the lot grid (rounded down here).
 */
function takeableQuantity(quote: RankableQuote, need: Decimal, lotSize: Decimal): Decimal | SkipReason {
  if (quote.minQuantity === null) {
    if (need.lt(quote.remaining)) return 'ALL_OR_NONE';
    return isMultipleOf(quote.remaining, lotSize) ? quote.remaining : 'NOT_LOT_MULTIPLE';
  }
  const most = decMin(need, quote.remaining);
  if (most.lt(quote.minQuantity)) return 'BELOW_MIN_QUANTITY';
  const take = roundToStep(most, lotSize, 'down');
  if (take.isZero()) return 'NOT_LOT_MULTIPLE';
  // Rounding down to the lot may itself drop the take under the maker's minimum.
  return take.lt(quote.minQuantity) ? 'BELOW_MIN_QUANTITY' : take;
}

export function assertLotSize(lotSize: Decimal): void {
  if (!lotSize.isFinite() || lotSize.lte(0)) {
    throw new DomainError(
      'VALIDATION.LOT',
      `lot size must be positive, got ${lotSize.toFixed()}`,
      'unprocessable',
      [{ field: 'lotSize', message: 'must be positive' }],
    );
  }
}

export function assertLotMultiple(quantity: Decimal, lotSize: Decimal): void {
  if (!isMultipleOf(quantity, lotSize)) {
    throw new DomainError(
      'VALIDATION.LOT',
      `quantity ${quantity.toFixed()} is not a multiple of the lot size ${lotSize.toFixed()}`,
      'unprocessable',
      [{ field: 'quantity', message: `must be a multiple of ${lotSize.toFixed()}` }],
    );
  }
}
