import type { Decimal } from '@app/core';
import type { QuoteSide } from '@app/rfq';

/** One side of a live quote, as the auction sees it. */
export interface RankableQuote {
  quoteId: string;
  makerId: string;
  side: QuoteSide;
  price: Decimal;
  remaining: Decimal;
  /** Smallest quantity the maker accepts per fill; null = all-or-none on the remaining quantity. */
  minQuantity: Decimal | null;
  createdAt: Date;
}

export interface Allocation {
  quoteId: string;
  makerId: string;
  quantity: Decimal;
  /** The quote's own price: every maker trades at the price it quoted. */
  price: Decimal;
}

export type SkipReason = 'PRICE_BEYOND_LIMIT' | 'BELOW_MIN_QUANTITY' | 'ALL_OR_NONE' | 'NOT_LOT_MULTIPLE';

export interface SkippedQuote {
  quoteId: string;
  reason: SkipReason;
}

export interface ExecutionPlan {
  allocations: Allocation[];
  filled: Decimal;
  unfilled: Decimal;
  skipped: SkippedQuote[];
}

export interface PriceLevel {
  quoteId: string;
  price: Decimal;
  quantity: Decimal;
}

export interface BestBidAsk {
  bestBid: PriceLevel | null;
  bestAsk: PriceLevel | null;
}
