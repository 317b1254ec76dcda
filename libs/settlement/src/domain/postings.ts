import { Decimal, DomainError } from '@app/core';
import { oppositeSide, sideSign, type Side } from '@app/rfq';
import { roundCash } from './fees.js';

export interface PostingLeg {
  /** The ledger asset code of the instrument (its name). */
  instrumentName: string;
  /** The leg's side as the RFQ states it. */
  side: Side;
  ratio: Decimal;
  price: Decimal;
  multiplier: Decimal;
}

export interface FillPostingsInput {
  takerId: string;
  makerId: string;
  feeAccountId: string;
  takerSide: Side;
  quantity: Decimal;
  legs: readonly PostingLeg[];
  takerFee: Decimal;
  makerFee: Decimal;
  currency: 'USDC';
}

export interface PostingLine {
  accountId: string;
  assetCode: string;
  /** Signed: + received, - given. */
  amount: Decimal;
}

export interface LegTrade {
  legIndex: number;
  /** The taker's side on this leg. */
  side: Side;
  quantity: Decimal;
  price: Decimal;
}

export interface FillPostings {
  postings: PostingLine[];
  /** USDC the taker pays the maker (negative: the maker pays the taker), rounded to 1e-8. */
  premium: Decimal;
  trades: LegTrade[];
}

/** The taker's side on a leg: the leg's own side when buying the structure, flipped when selling. */
export function takerLegSide(takerSide: Side, legSide: Side): Side {
  return takerSide === 'BUY' ? legSide : oppositeSide(legSide);
}

/**
 * The double-entry postings of one fill. Every leg moves Q × ratio contracts from the maker to
 * the taker (or back, when the taker sells that leg); the premium Σ ± qty_i × p_i × multiplier_i
 * moves from the taker to the maker; both fees move to the fee account. Futures and perpetuals
 * are booked the same way at their trade price (cash accounting: P&L = position × mark + cash),
 * so one rule serves every instrument kind. Each asset's postings sum to exactly zero by
 * construction; postings of one (account, asset) are merged and zero amounts dropped.
 */
export function buildFillPostings(input: FillPostingsInput): FillPostings {
  const { takerId, makerId, feeAccountId, takerSide, quantity, legs, takerFee, makerFee, currency } = input;
  if (!quantity.isFinite() || quantity.lte(0)) {
    throw new DomainError('SETTLEMENT.INVALID_FILL', 'fill quantity must be positive', 'bad_request', [
      { field: 'quantity', message: 'must be positive' },
    ]);
  }
  if (legs.length === 0) {
    throw new DomainError('SETTLEMENT.INVALID_FILL', 'a fill needs at least one leg', 'bad_request', [
      { field: 'legs', message: 'no legs' },
    ]);
  }

  const postings: PostingLine[] = [];
  const trades: LegTrade[] = [];
  let rawPremium = new Decimal(0);
  legs.forEach((leg, legIndex) => {
    const side = takerLegSide(takerSide, leg.side);
    const legQuantity = quantity.mul(leg.ratio);
    const takerDelta = legQuantity.mul(sideSign(side));
    postings.push({ accountId: takerId, assetCode: leg.instrumentName, amount: takerDelta });
    postings.push({ accountId: makerId, assetCode: leg.instrumentName, amount: takerDelta.negated() });
    rawPremium = rawPremium.plus(takerDelta.mul(leg.price).mul(leg.multiplier));
    trades.push({ legIndex, side, quantity: legQuantity, price: leg.price });
  });

  const premium = roundCash(rawPremium);
  postings.push({ accountId: takerId, assetCode: currency, amount: premium.negated() });
  postings.push({ accountId: makerId, assetCode: currency, amount: premium });
  postings.push({ accountId: takerId, assetCode: currency, amount: takerFee.negated() });
  postings.push({ accountId: feeAccountId, assetCode: currency, amount: takerFee });
  postings.push({ accountId: makerId, assetCode: currency, amount: makerFee.negated() });
  postings.push({ accountId: feeAccountId, assetCode: currency, amount: makerFee });

  return { postings: mergePostings(postings), premium, trades };
}

/** One posting per (account, asset), in order of first appearance, zero amounts dropped. */
export function mergePostings(postings: readonly PostingLine[]): PostingLine[] {
  const merged = new Map<string, PostingLine>();
  for (const p of postings) {
    // JSON keeps the key unambiguous whatever characters the ids contain.
    const key = JSON.stringify([p.accountId, p.assetCode]);
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, amount: seen.amount.plus(p.amount) } : { ...p });
  }
  return [...merged.values()].filter((p) => !p.amount.isZero());
}
