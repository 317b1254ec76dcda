import type { QuoteSide, Side } from '@app/rfq';
import { quoteSideFor } from '@app/rfq';
import type { BestBidAsk, PriceLevel, RankableQuote } from './types.js';

/**
 * Price-time priority for one quote side: best price (lowest ask, highest bid), then the
 * earliest quote, then the quote id, so that two runs over the same quotes always agree, even
 * for quotes created in the same millisecond.
 */
export function compareQuotes(side: QuoteSide, a: RankableQuote, b: RankableQuote): number {
  const byPrice = side === 'ASK' ? a.price.cmp(b.price) : b.price.cmp(a.price);
  if (byPrice !== 0) return byPrice;
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime < 0 ? -1 : 1;
  if (a.quoteId === b.quoteId) return 0;
  // Code-unit order, not localeCompare: the tie-break must not depend on the host's locale.
  return a.quoteId < b.quoteId ? -1 : 1;
}

/**
 * The quotes that can serve a taker on `takerSide`, best first. Quotes on the other side and
 * exhausted quotes (nothing remaining) are left out: neither can trade with this taker.
 */
export function rankQuotes(quotes: readonly RankableQuote[], takerSide: Side): RankableQuote[] {
  const side = quoteSideFor(takerSide);
  return quotes.filter((q) => q.side === side && q.remaining.gt(0)).sort((a, b) => compareQuotes(side, a, b));
}

/** The top of each side, as the taker's screen shows it. */
export function bestBidAsk(quotes: readonly RankableQuote[]): BestBidAsk {
  return {
    bestBid: toLevel(rankQuotes(quotes, 'SELL')[0]),
    bestAsk: toLevel(rankQuotes(quotes, 'BUY')[0]),
  };
}

function toLevel(quote: RankableQuote | undefined): PriceLevel | null {
  return quote === undefined
    ? null
    : { quoteId: quote.quoteId, price: quote.price, quantity: quote.remaining };
}
