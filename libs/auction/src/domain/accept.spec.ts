import { describe, expect, it } from '@jest/globals';
import { DomainError, dec } from '@app/core';
import { planAccept, type PlanAcceptInput } from './accept.js';
import type { RankableQuote } from './types.js';

function ask(overrides: Partial<RankableQuote> = {}): RankableQuote {
  return {
    quoteId: 'q1',
    makerId: 'maker-1',
    side: 'ASK',
    price: dec('-12.5'),
    remaining: dec(10),
    minQuantity: dec(2),
    createdAt: new Date(0),
    ...overrides,
  };
}

function accept(overrides: Partial<PlanAcceptInput> = {}) {
  return planAccept({
    quote: ask(),
    takerSide: 'BUY',
    quantity: null,
    rfqRemaining: dec(25),
    lotSize: dec(1),
    ...overrides,
  });
}

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('planAccept', () => {
  it('defaults to the smaller of the quote and RFQ remaining', () => {
    expect(accept()).toEqual({ quoteId: 'q1', makerId: 'maker-1', quantity: dec(10), price: dec('-12.5') });
    expect(accept({ rfqRemaining: dec(7) }).quantity.toFixed()).toBe('7');
  });

  it('takes an explicit quantity', () => {
    expect(accept({ quantity: dec(3) }).quantity.toFixed()).toBe('3');
  });

  it('refuses the wrong side', () => {
    expect(errorOf(() => accept({ takerSide: 'SELL' }))).toMatchObject({
      code: 'QUOTE.WRONG_SIDE',
      kind: 'unprocessable',
    });
    expect(accept({ takerSide: 'SELL', quote: ask({ side: 'BID' }) }).quantity.toFixed()).toBe('10');
  });

  it('refuses more than the quote has', () => {
    expect(errorOf(() => accept({ quantity: dec(11) })).code).toBe('QUOTE.INSUFFICIENT_QUANTITY');
    expect(errorOf(() => accept({ quote: ask({ remaining: dec(0) }) })).code).toBe(
      'QUOTE.INSUFFICIENT_QUANTITY',
    );
  });

  it('refuses more than the RFQ has left', () => {
    expect(errorOf(() => accept({ quantity: dec(8), rfqRemaining: dec(7) })).code).toBe(
      'RFQ.QUANTITY_EXCEEDED',
    );
    expect(errorOf(() => accept({ rfqRemaining: dec(0) })).code).toBe('RFQ.QUANTITY_EXCEEDED');
  });

  it('refuses less than the maker minimum', () => {
    expect(errorOf(() => accept({ quantity: dec(1) }))).toMatchObject({
      code: 'QUOTE.BELOW_MIN_QUANTITY',
      kind: 'unprocessable',
    });
    expect(errorOf(() => accept({ rfqRemaining: dec(1) })).code).toBe('QUOTE.BELOW_MIN_QUANTITY');
    expect(accept({ quantity: dec(2) }).quantity.toFixed()).toBe('2');
  });

  it('takes an all-or-none quote only whole', () => {
    const aon = ask({ minQuantity: null });
    expect(accept({ quote: aon }).quantity.toFixed()).toBe('10');
    expect(errorOf(() => accept({ quote: aon, quantity: dec(4) })).code).toBe('QUOTE.ALL_OR_NONE');
    expect(errorOf(() => accept({ quote: aon, rfqRemaining: dec(6) })).code).toBe('QUOTE.ALL_OR_NONE');
  });

  it('refuses a quantity off the lot, including a defaulted one', () => {
    expect(errorOf(() => accept({ quantity: dec('2.5') }))).toMatchObject({
      code: 'VALIDATION.LOT',
      kind: 'unprocessable',
    });
    expect(errorOf(() => accept({ rfqRemaining: dec('7.5') })).code).toBe('VALIDATION.LOT');
    expect(accept({ lotSize: dec('0.5'), quantity: dec('2.5') }).quantity.toFixed()).toBe('2.5');
  });

  it('refuses a non-positive explicit quantity as a bad request', () => {
    expect(errorOf(() => accept({ quantity: dec(0) }))).toMatchObject({
      code: 'VALIDATION.QUANTITY',
      kind: 'bad_request',
    });
  });
});
