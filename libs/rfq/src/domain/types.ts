/**
 * Vocabulary shared by the rfq, auction and settlement domains. The string values are the
 * database enum labels, so rows read from Prisma can be used as-is.
 */
export const SIDES = ['BUY', 'SELL'] as const;
/** A taker's side of the structure, or a leg's side as the RFQ states it. */
export type Side = (typeof SIDES)[number];

export const QUOTE_SIDES = ['BID', 'ASK'] as const;
/** BID = the maker buys the structure (the taker SELLs); ASK = the maker sells (the taker BUYs). */
export type QuoteSide = (typeof QUOTE_SIDES)[number];

export const RFQ_STATES = ['OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED'] as const;
export type RfqState = (typeof RFQ_STATES)[number];

export const QUOTE_STATES = ['LIVE', 'FILLED', 'CANCELLED', 'EXPIRED', 'REPLACED'] as const;
export type QuoteState = (typeof QUOTE_STATES)[number];

export const FILL_STATES = ['BOOKED', 'CONFIRMED'] as const;
export type FillState = (typeof FILL_STATES)[number];
