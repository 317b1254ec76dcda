import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { dec } from '@app/core';
import type { QuoteSide } from '@app/rfq';
import { bestBidAsk, rankQuotes } from './ranking.js';
import type { RankableQuote } from './types.js';

const T0 = Date.UTC(2026, 0, 1);

function quote(
  quoteId: string,
  side: QuoteSide,
  price: string,
  seconds = 0,
  remaining = '10',
): RankableQuote {
  return {
    quoteId,
    makerId: `m-${quoteId}`,
    side,
    price: dec(price),
    remaining: dec(remaining),
    minQuantity: dec(1),
    createdAt: new Date(T0 + seconds * 1000),
  };
}

describe('rankQuotes', () => {
  it('ranks asks for a buyer, lowest first, and drops bids', () => {
    const ranked = rankQuotes(
      [
        quote('a', 'ASK', '101'),
        quote('b', 'BID', '99'),
        quote('c', 'ASK', '100.5'),
        quote('d', 'ASK', '-2'),
      ],
      'BUY',
    );
    expect(ranked.map((q) => q.quoteId)).toEqual(['d', 'c', 'a']);
  });

  it('ranks bids for a seller, highest first, and drops asks', () => {
    const ranked = rankQuotes(
      [quote('a', 'BID', '98'), quote('b', 'ASK', '99'), quote('c', 'BID', '99.5'), quote('d', 'BID', '-1')],
      'SELL',
    );
    expect(ranked.map((q) => q.quoteId)).toEqual(['c', 'a', 'd']);
  });

  it('breaks price ties by time, then by quote id', () => {
    const ranked = rankQuotes(
      [
        quote('z', 'ASK', '100', 5),
        quote('y', 'ASK', '100', 1),
        quote('b', 'ASK', '100', 3),
        quote('a', 'ASK', '100', 3),
      ],
      'BUY',
    );
    expect(ranked.map((q) => q.quoteId)).toEqual(['y', 'a', 'b', 'z']);
  });

  it('leaves out exhausted quotes and does not reorder its input', () => {
    const input = [quote('a', 'ASK', '101'), quote('b', 'ASK', '100', 0, '0')];
    expect(rankQuotes(input, 'BUY').map((q) => q.quoteId)).toEqual(['a']);
    expect(input.map((q) => q.quoteId)).toEqual(['a', 'b']);
  });

  it('is a total order: any permutation ranks the same', () => {
    const arbQuote = fc.record({
      id: fc.string({ minLength: 1, maxLength: 3 }),
      side: fc.constantFrom<QuoteSide>('BID', 'ASK'),
      price: fc.integer({ min: -5, max: 5 }),
      seconds: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbQuote, { selector: (q) => q.id, maxLength: 12 }),
        fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
        fc.func(fc.integer()),
        (specs, takerSide, shuffleKey) => {
          const quotes = specs.map((s) => quote(s.id, s.side, String(s.price), s.seconds));
          const shuffled = [...quotes].sort((a, b) => shuffleKey(a.quoteId) - shuffleKey(b.quoteId));
          const ranked = rankQuotes(quotes, takerSide).map((q) => q.quoteId);
          expect(rankQuotes(shuffled, takerSide).map((q) => q.quoteId)).toEqual(ranked);
          const prices = rankQuotes(quotes, takerSide).map((q) => q.price.toNumber());
          const sorted = [...prices].sort((a, b) => (takerSide === 'BUY' ? a - b : b - a));
          expect(prices).toEqual(sorted);
        },
      ),
    );
  });
});

describe('bestBidAsk', () => {
  it('shows the top quote of each side with its remaining quantity', () => {
    const book = bestBidAsk([
      quote('a', 'BID', '99', 2, '3'),
      quote('b', 'BID', '99', 1, '4'),
      quote('c', 'ASK', '101', 0, '5'),
      quote('d', 'ASK', '100', 0, '0'),
    ]);
    expect(book.bestBid).toEqual({ quoteId: 'b', price: dec(99), quantity: dec(4) });
    expect(book.bestAsk).toEqual({ quoteId: 'c', price: dec(101), quantity: dec(5) });
  });

  it('is empty on an empty side', () => {
    expect(bestBidAsk([quote('a', 'ASK', '1')])).toEqual({
      bestBid: null,
      bestAsk: { quoteId: 'a', price: dec(1), quantity: dec(10) },
    });
    expect(bestBidAsk([])).toEqual({ bestBid: null, bestAsk: null });
  });
});
