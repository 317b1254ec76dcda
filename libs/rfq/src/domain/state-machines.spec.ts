import { describe, expect, it } from '@jest/globals';
import { DomainError, IllegalTransitionError, dec } from '@app/core';
import {
  assertFillTransition,
  assertQuoteTransition,
  assertRfqTransition,
  canTransitionFill,
  canTransitionQuote,
  canTransitionRfq,
  isFinalQuoteState,
  isFinalRfqState,
  oppositeSide,
  quoteSideFor,
  rfqStateAfterFill,
  sideSign,
  takerSideFor,
} from './state-machines.js';
import { QUOTE_STATES, RFQ_STATES, type QuoteState, type RfqState } from './types.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('RFQ state machine', () => {
  const legal: [RfqState, RfqState][] = [
    ['OPEN', 'PARTIALLY_FILLED'],
    ['OPEN', 'FILLED'],
    ['OPEN', 'CANCELLED'],
    ['OPEN', 'EXPIRED'],
    ['PARTIALLY_FILLED', 'PARTIALLY_FILLED'],
    ['PARTIALLY_FILLED', 'FILLED'],
    ['PARTIALLY_FILLED', 'CANCELLED'],
    ['PARTIALLY_FILLED', 'EXPIRED'],
  ];

  it('allows exactly the listed transitions', () => {
    for (const from of RFQ_STATES) {
      for (const to of RFQ_STATES) {
        const expected = legal.some(([f, t]) => f === from && t === to);
        expect(canTransitionRfq(from, to)).toBe(expected);
      }
    }
  });

  it('throws an IllegalTransitionError naming both states', () => {
    const error = thrown(() => assertRfqTransition('FILLED', 'CANCELLED'));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({
      code: 'RFQ.ILLEGAL_TRANSITION',
      from: 'FILLED',
      to: 'CANCELLED',
      kind: 'conflict',
    });
    expect(() => assertRfqTransition('OPEN', 'OPEN')).toThrow(IllegalTransitionError);
    expect(() => assertRfqTransition('OPEN', 'FILLED')).not.toThrow();
  });

  it('knows the final states', () => {
    expect(RFQ_STATES.filter(isFinalRfqState)).toEqual(['FILLED', 'CANCELLED', 'EXPIRED']);
  });
});

describe('quote state machine', () => {
  it('lets only a live quote move, including LIVE to LIVE on a partial fill', () => {
    for (const from of QUOTE_STATES) {
      for (const to of QUOTE_STATES) {
        expect(canTransitionQuote(from, to)).toBe(from === 'LIVE');
      }
    }
  });

  it('throws with the quote entity code', () => {
    expect(thrown(() => assertQuoteTransition('REPLACED', 'LIVE'))).toMatchObject({
      code: 'QUOTE.ILLEGAL_TRANSITION',
    });
    expect(() => assertQuoteTransition('LIVE', 'REPLACED')).not.toThrow();
  });

  it('has every state but LIVE final', () => {
    expect(QUOTE_STATES.filter((s: QuoteState) => !isFinalQuoteState(s))).toEqual(['LIVE']);
  });
});

describe('fill state machine', () => {
  it('only confirms a booked fill', () => {
    expect(canTransitionFill('BOOKED', 'CONFIRMED')).toBe(true);
    expect(canTransitionFill('CONFIRMED', 'BOOKED')).toBe(false);
    expect(canTransitionFill('BOOKED', 'BOOKED')).toBe(false);
    expect(() => assertFillTransition('BOOKED', 'CONFIRMED')).not.toThrow();
    expect(thrown(() => assertFillTransition('CONFIRMED', 'BOOKED'))).toMatchObject({
      code: 'FILL.ILLEGAL_TRANSITION',
    });
  });
});

describe('sides', () => {
  it('maps a taker side to the quote side that serves it and back', () => {
    expect(quoteSideFor('BUY')).toBe('ASK');
    expect(quoteSideFor('SELL')).toBe('BID');
    expect(takerSideFor('ASK')).toBe('BUY');
    expect(takerSideFor('BID')).toBe('SELL');
    expect(oppositeSide('BUY')).toBe('SELL');
    expect(sideSign('SELL')).toBe(-1);
  });
});

describe('rfqStateAfterFill', () => {
  it('derives the state from the filled quantity', () => {
    expect(rfqStateAfterFill(dec(10), dec(0))).toBe('OPEN');
    expect(rfqStateAfterFill(dec(10), dec('2.5'))).toBe('PARTIALLY_FILLED');
    expect(rfqStateAfterFill(dec(10), dec('10.000'))).toBe('FILLED');
  });

  it('refuses an overfill or a negative fill', () => {
    const error = thrown(() => rfqStateAfterFill(dec(10), dec('10.5')));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'RFQ.QUANTITY_EXCEEDED' });
    expect(() => rfqStateAfterFill(dec(10), dec(-1))).toThrow(DomainError);
  });
});
