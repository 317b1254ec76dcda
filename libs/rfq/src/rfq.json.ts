import type { QuoteSideView, QuoteView, RfqView } from './rfq.types.js';

/** Wire form (decimals as strings, ISO timestamps), used by events and by the API. */
export function rfqJson(rfq: RfqView, options: { revealTaker: boolean } = { revealTaker: true }) {
  return {
    id: rfq.id,
    clientRfqId: options.revealTaker ? rfq.clientRfqId : undefined,
    takerId: options.revealTaker || rfq.disclosed ? rfq.takerId : undefined,
    state: rfq.state,
    quantity: rfq.quantity.toFixed(),
    filledQuantity: rfq.filledQuantity.toFixed(),
    legs: rfq.legs.map((l) => ({ instrument: l.instrument, side: l.side, ratio: l.ratio.toFixed() })),
    disclosed: rfq.disclosed,
    makers: options.revealTaker ? (rfq.routedToAll ? null : rfq.makers) : undefined,
    autoExecute: rfq.autoExecute
      ? options.revealTaker
        ? {
            side: rfq.autoExecute.side,
            limitPrice: rfq.autoExecute.limitPrice.toFixed(),
            at: rfq.autoExecute.at.toISOString(),
          }
        : { at: rfq.autoExecute.at.toISOString() }
      : null,
    expiresAt: rfq.expiresAt.toISOString(),
    createdAt: rfq.createdAt.toISOString(),
    closedAt: rfq.closedAt?.toISOString() ?? null,
  };
}

function sideJson(s: QuoteSideView | null) {
  return s
    ? {
        price: s.price.toFixed(),
        quantity: s.quantity.toFixed(),
        minQuantity: s.minQuantity?.toFixed() ?? null,
        filled: s.filled.toFixed(),
        remaining: s.quantity.minus(s.filled).toFixed(),
      }
    : null;
}

export function quoteJson(q: QuoteView, options: { revealMaker: boolean } = { revealMaker: true }) {
  return {
    id: q.id,
    rfqId: q.rfqId,
    makerId: options.revealMaker ? q.makerId : undefined,
    clientQuoteId: options.revealMaker ? q.clientQuoteId : undefined,
    state: q.state,
    bid: sideJson(q.bid),
    ask: sideJson(q.ask),
    validUntil: q.validUntil.toISOString(),
    replacesId: q.replacesId,
    createdAt: q.createdAt.toISOString(),
    updatedAt: q.updatedAt.toISOString(),
  };
}

export type RfqJson = ReturnType<typeof rfqJson>;
export type QuoteJson = ReturnType<typeof quoteJson>;
