import type { Decimal } from '@app/core';
import type { QuoteState, RfqState, Side } from './domain/index.js';

/** Who is calling: every service method checks tenancy against it. */
export interface Actor {
  accountId: string;
  role: 'TAKER' | 'MAKER' | 'ADMIN' | 'SYSTEM';
  correlationId?: string | null;
}

export interface LegView {
  legIndex: number;
  instrumentId: string;
  instrument: string;
  side: Side;
  ratio: Decimal;
}

export interface RfqView {
  id: string;
  takerId: string;
  clientRfqId: string;
  quantity: Decimal;
  filledQuantity: Decimal;
  state: RfqState;
  disclosed: boolean;
  routedToAll: boolean;
  makers: string[];
  legs: LegView[];
  autoExecute: { side: Side; limitPrice: Decimal; at: Date } | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export interface QuoteSideView {
  price: Decimal;
  quantity: Decimal;
  minQuantity: Decimal | null;
  filled: Decimal;
}

export interface QuoteView {
  id: string;
  rfqId: string;
  makerId: string;
  clientQuoteId: string;
  bid: QuoteSideView | null;
  ask: QuoteSideView | null;
  state: QuoteState;
  validUntil: Date;
  replacesId: string | null;
  cancelOnDisconnect: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateRfqInput {
  clientRfqId: string;
  legs: Array<{ instrument: string; side: Side; ratio: Decimal }>;
  quantity: Decimal;
  expiresInSeconds: number;
  makers?: string[];
  disclosed?: boolean;
  autoExecute?: { side: Side; limitPrice: Decimal; afterSeconds: number };
}

export interface QuoteSideInput {
  price: Decimal;
  quantity: Decimal;
  minQuantity?: Decimal | null;
}

export interface SubmitQuoteInput {
  rfqId: string;
  clientQuoteId: string;
  bid?: QuoteSideInput | null;
  ask?: QuoteSideInput | null;
  validForSeconds: number;
  cancelOnDisconnect?: boolean;
}
