import { DomainError, IllegalTransitionError, type Decimal } from '@app/core';
import type { FillState, QuoteSide, QuoteState, RfqState, Side } from './types.js';

/*
 * Every legal state change of the three trading entities lives in these tables, so a service
 * never decides on its own that, say, a cancelled RFQ may still fill. Self-loops are listed
 * where they are real events: another partial fill of a partially filled RFQ, a partial fill
 * of a live quote (the quote stays LIVE with less remaining).
 */
export const RFQ_TRANSITIONS: Readonly<Record<RfqState, readonly RfqState[]>> = Object.freeze({
  OPEN: ['PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED'],
  PARTIALLY_FILLED: ['PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED'],
  FILLED: [],
  CANCELLED: [],
  EXPIRED: [],
});

export const QUOTE_TRANSITIONS: Readonly<Record<QuoteState, readonly QuoteState[]>> = Object.freeze({
  LIVE: ['LIVE', 'FILLED', 'CANCELLED', 'EXPIRED', 'REPLACED'],
  FILLED: [],
  CANCELLED: [],
  EXPIRED: [],
  REPLACED: [],
});

export const FILL_TRANSITIONS: Readonly<Record<FillState, readonly FillState[]>> = Object.freeze({
  BOOKED: ['CONFIRMED'],
  CONFIRMED: [],
});

export function canTransitionRfq(from: RfqState, to: RfqState): boolean {
  return RFQ_TRANSITIONS[from].includes(to);
}

export function canTransitionQuote(from: QuoteState, to: QuoteState): boolean {
  return QUOTE_TRANSITIONS[from].includes(to);
}

export function canTransitionFill(from: FillState, to: FillState): boolean {
  return FILL_TRANSITIONS[from].includes(to);
}

export function assertRfqTransition(from: RfqState, to: RfqState): void {
  if (!canTransitionRfq(from, to)) throw new IllegalTransitionError('rfq', from, to);
}

export function assertQuoteTransition(from: QuoteState, to: QuoteState): void {
  if (!canTransitionQuote(from, to)) throw new IllegalTransitionError('quote', from, to);
}

export function assertFillTransition(from: FillState, to: FillState): void {
  if (!canTransitionFill(from, to)) throw new IllegalTransitionError('fill', from, to);
}

export function isFinalRfqState(state: RfqState): boolean {
  return RFQ_TRANSITIONS[state].length === 0;
}

export function isFinalQuoteState(state: QuoteState): boolean {
  return QUOTE_TRANSITIONS[state].length === 0;
}

/** The quote side that serves a taker: a buying taker lifts ASKs, a selling taker hits BIDs. */
export function quoteSideFor(takerSide: Side): QuoteSide {
  return takerSide === 'BUY' ? 'ASK' : 'BID';
}

/** The taker side a quote side serves (inverse of `quoteSideFor`). */
export function takerSideFor(quoteSide: QuoteSide): Side {
  return quoteSide === 'ASK' ? 'BUY' : 'SELL';
}

export function oppositeSide(side: Side): Side {
  return side === 'BUY' ? 'SELL' : 'BUY';
}

/** +1 for BUY, -1 for SELL: the sign convention of every net price and premium. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}

/**
 * The RFQ state implied by its filled quantity. Zero filled is OPEN (nothing happened yet);
 * overfilling is a bug in the caller's arithmetic, never a state, so it throws.
 */
export function rfqStateAfterFill(
  quantity: Decimal,
  filledQuantity: Decimal,
): Extract<RfqState, 'OPEN' | 'PARTIALLY_FILLED' | 'FILLED'> {
  if (filledQuantity.isNegative() || filledQuantity.gt(quantity)) {
    throw new DomainError(
      'RFQ.QUANTITY_EXCEEDED',
      `filled quantity ${filledQuantity.toFixed()} is outside 0..${quantity.toFixed()}`,
      'unprocessable',
      [{ field: 'filledQuantity', message: 'outside 0..quantity' }],
    );
  }
  if (filledQuantity.isZero()) return 'OPEN';
  return filledQuantity.eq(quantity) ? 'FILLED' : 'PARTIALLY_FILLED';
}
