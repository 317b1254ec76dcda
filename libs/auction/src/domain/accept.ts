import { DomainError, decMin, type Decimal } from '@app/core';
import { quoteSideFor, type Side } from '@app/rfq';
import { assertLotMultiple, assertLotSize } from './execution.js';
import type { Allocation, RankableQuote } from './types.js';

export interface PlanAcceptInput {
  quote: RankableQuote;
  takerSide: Side;
  /** null = as much as both the quote and the RFQ allow. */
  quantity: Decimal | null;
  rfqRemaining: Decimal;
  lotSize: Decimal;
}

/**
 * The taker accepts one named quote. Unlike an execute, nothing is silently reduced: a
 * quantity that cannot trade in full is refused with the reason, because the taker chose this
 * maker and this size explicitly.
 */
export function planAccept(input: PlanAcceptInput): Allocation {
  const { quote, takerSide, rfqRemaining, lotSize } = input;
  assertLotSize(lotSize);
  const expected = quoteSideFor(takerSide);
  if (quote.side !== expected) {
    throw refuse(
      'QUOTE.WRONG_SIDE',
      `a ${takerSide} taker trades against ${expected} quotes, not ${quote.side}`,
      'quoteId',
    );
  }
  if (rfqRemaining.lte(0)) throw refuse('RFQ.QUANTITY_EXCEEDED', 'the RFQ has no quantity left to fill');
  if (quote.remaining.lte(0)) throw refuse('QUOTE.INSUFFICIENT_QUANTITY', 'the quote has no quantity left');

  const quantity = input.quantity ?? decMin(quote.remaining, rfqRemaining);
  if (!quantity.isFinite() || quantity.lte(0)) {
    throw new DomainError(
      'VALIDATION.QUANTITY',
      `quantity must be positive, got ${quantity.toFixed()}`,
      'bad_request',
      [{ field: 'quantity', message: 'must be positive' }],
    );
  }
  assertLotMultiple(quantity, lotSize);
  if (quantity.gt(rfqRemaining)) {
    throw refuse(
      'RFQ.QUANTITY_EXCEEDED',
      `quantity ${quantity.toFixed()} exceeds the RFQ's remaining ${rfqRemaining.toFixed()}`,
    );
  }
  if (quantity.gt(quote.remaining)) {
    throw refuse(
      'QUOTE.INSUFFICIENT_QUANTITY',
      `quantity ${quantity.toFixed()} exceeds the quote's remaining ${quote.remaining.toFixed()}`,
    );
  }
  if (quote.minQuantity === null) {
    if (!quantity.eq(quote.remaining)) {
      throw refuse(
        'QUOTE.ALL_OR_NONE',
        `the quote is all-or-none: only its whole remaining ${quote.remaining.toFixed()} can be taken`,
      );
    }
  } else if (quantity.lt(quote.minQuantity)) {
    throw refuse(
      'QUOTE.BELOW_MIN_QUANTITY',
      `quantity ${quantity.toFixed()} is below the quote's minimum ${quote.minQuantity.toFixed()}`,
    );
  }
  return { quoteId: quote.quoteId, makerId: quote.makerId, quantity, price: quote.price };
}

function refuse(code: string, message: string, field = 'quantity'): DomainError {
  return new DomainError(code, message, 'unprocessable', [{ field, message }]);
}
