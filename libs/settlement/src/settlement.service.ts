import { Inject, Injectable, Optional } from '@nestjs/common';
import { AppConfig, Decimal, DomainError, LEG_THEO_SOURCE, LegTheoSource, ZERO } from '@app/core';
import { AuditEntry } from '@app/audit';
import { NewOutboxEvent } from '@app/events';
import type { QuoteView, ResolvedLeg, RfqView, Side } from '@app/rfq';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { BookingRepository, NewFill } from './booking.repository.js';
import {
  allocateLegPrices,
  applyTrade,
  buildFillPostings,
  computeFees,
  PositionState,
} from './domain/index.js';

/** A check run inside the booking transaction before anything is written (limits, freezes). */
export interface FillGate {
  assertMayFill(
    client: PoolClient,
    fills: NewFill[],
    context: { rfq: RfqView; legs: ResolvedLeg[] },
  ): Promise<void>;
}

export interface BookingAllocation {
  quote: QuoteView;
  quantity: Decimal;
  price: Decimal;
}

export interface BookingContext {
  rfq: RfqView;
  legs: ResolvedLeg[];
  takerSide: Side;
  allocations: BookingAllocation[];
  executionId: string;
  correlationId: string | null;
  now: Date;
}

export interface BookedFills {
  fills: NewFill[];
  quoteUpdates: Array<{ quote: QuoteView; bidFilled: Decimal; askFilled: Decimal; state: 'LIVE' | 'FILLED' }>;
  events: NewOutboxEvent[];
  /**
   * Writes the balance read models. Every booking updates the fee account's balance row, so the
   * caller runs this as late as it can (its last statement before COMMIT) to keep that
   * shared row locked for as short a time as possible.
   */
  applyBalances: () => Promise<void>;
  audit: AuditEntry[];
}

/** Wire form of a fill (decimals as strings). */
export function fillJson(f: NewFill, legs: ResolvedLeg[]) {
  return {
    id: f.id,
    rfqId: f.rfqId,
    quoteId: f.quoteId,
    executionId: f.executionId,
    takerId: f.takerId,
    makerId: f.makerId,
    side: f.side,
    quantity: f.quantity.toFixed(),
    price: f.price.toFixed(),
    premium: f.premium.toFixed(),
    takerFee: f.takerFee.toFixed(),
    makerFee: f.makerFee.toFixed(),
    legs: f.trades.map((t) => ({
      instrument: legs[t.legIndex]!.instrument.name,
      side: t.side,
      quantity: t.quantity.toFixed(),
      price: t.price.toFixed(),
    })),
    createdAt: f.createdAt.toISOString(),
  };
}
export type FillJson = ReturnType<typeof fillJson>;

/**
 * Books fills into the double-entry ledger inside the caller's transaction: fills, per-leg
 * trades, journal entries and postings, positions and balances, confirmations to deliver. The
 * caller (the auction) has locked the RFQ and its quotes and writes the outbox and audit rows
 * this returns, in the same transaction.
 */
@Injectable()
export class SettlementService {
  private readonly gates: FillGate[] = [];
  private feeAccountId: string | null = null;

  constructor(
    private readonly booking: BookingRepository,
    private readonly config: AppConfig,
    @Optional() @Inject(LEG_THEO_SOURCE) private readonly theoSource: LegTheoSource | null,
  ) {}

  addGate(gate: FillGate): void {
    this.gates.push(gate);
  }

  private async feeAccount(client: PoolClient): Promise<string> {
    this.feeAccountId ??= await this.booking.accountIdByName(client, this.config.FEE_ACCOUNT_NAME);
    if (!this.feeAccountId)
      throw new DomainError(
        'SETTLEMENT.NO_FEE_ACCOUNT',
        `fee account ${this.config.FEE_ACCOUNT_NAME} is missing (run the seed)`,
        'unavailable',
      );
    return this.feeAccountId;
  }

  async book(client: PoolClient, ctx: BookingContext): Promise<BookedFills> {
    const { rfq, legs, takerSide } = ctx;
    const feeAccountId = await this.feeAccount(client);
    const rates = await this.booking.feeRates(client, [
      rfq.takerId,
      ...ctx.allocations.map((a) => a.quote.makerId),
    ]);
    const theos = legs.map((l) => this.theoSource?.theo(l.instrument) ?? 0);

    const fills: NewFill[] = ctx.allocations.map((a) => {
      const legPrices = allocateLegPrices({
        netPrice: a.price,
        legs: legs.map((l, i) => ({
          side: l.side,
          ratio: l.ratio,
          theo: theos[i]!,
          tickSize: l.instrument.tickSize,
        })),
      });
      const postingLegs = legs.map((l, i) => ({
        instrumentName: l.instrument.name,
        side: l.side,
        ratio: l.ratio,
        price: legPrices[i]!,
        multiplier: l.instrument.multiplier,
      }));
      const base = {
        takerId: rfq.takerId,
        makerId: a.quote.makerId,
        feeAccountId,
        takerSide,
        quantity: a.quantity,
        legs: postingLegs,
        currency: 'USDC' as const,
      };
      const gross = buildFillPostings({ ...base, takerFee: ZERO, makerFee: ZERO });
      const takerRates = rates.get(rfq.takerId)!;
      const makerRates = rates.get(a.quote.makerId)!;
      const premiumAbs = gross.premium.abs();
      const takerFee = computeFees({
        premiumAbs,
        quantity: a.quantity,
        bps: takerRates.takerFeeBps,
        perContract: takerRates.feePerContract,
      });
      const makerFee = computeFees({
        premiumAbs,
        quantity: a.quantity,
        bps: makerRates.makerFeeBps,
        perContract: makerRates.feePerContract,
      });
      const booked = buildFillPostings({ ...base, takerFee, makerFee });
      return {
        id: randomUUID(),
        rfqId: rfq.id,
        quoteId: a.quote.id,
        takerId: rfq.takerId,
        makerId: a.quote.makerId,
        side: takerSide,
        quantity: a.quantity,
        price: a.price,
        premium: booked.premium,
        takerFee,
        makerFee,
        executionId: ctx.executionId,
        quoteStateAtBooking: a.quote.state,
        quoteValidUntilAtBooking: a.quote.validUntil,
        createdAt: ctx.now,
        correlationId: ctx.correlationId,
        trades: booked.trades.map((t) => ({
          legIndex: t.legIndex,
          instrumentId: legs[t.legIndex]!.instrument.id,
          side: t.side,
          quantity: t.quantity,
          price: t.price,
        })),
        journalEntryId: randomUUID(),
        postings: booked.postings,
      };
    });

    for (const gate of this.gates) await gate.assertMayFill(client, fills, { rfq, legs });

    // Quote fill state: each allocation consumes the side the taker trades against.
    const quoteUpdates = ctx.allocations.map((a) => {
      const bidFilled = a.quote.bid?.filled ?? ZERO;
      const askFilled = a.quote.ask?.filled ?? ZERO;
      const newBid = takerSide === 'SELL' ? bidFilled.plus(a.quantity) : bidFilled;
      const newAsk = takerSide === 'BUY' ? askFilled.plus(a.quantity) : askFilled;
      const bidDone = !a.quote.bid || newBid.gte(a.quote.bid.quantity);
      const askDone = !a.quote.ask || newAsk.gte(a.quote.ask.quantity);
      return {
        quote: a.quote,
        bidFilled: newBid,
        askFilled: newAsk,
        state: bidDone && askDone ? ('FILLED' as const) : ('LIVE' as const),
      };
    });

    await this.booking.insertFills(client, fills);

    // Read models: positions by average cost, balances as sums of USDC postings.
    const positionKeys = fills.flatMap((f) =>
      f.trades.flatMap((t) => [
        { accountId: f.takerId, instrumentId: t.instrumentId },
        { accountId: f.makerId, instrumentId: t.instrumentId },
      ]),
    );
    const positions = await this.booking.lockPositions(client, positionKeys);
    for (const f of fills) {
      for (const t of f.trades) {
        const leg = legs[t.legIndex]!;
        const signed = t.side === 'BUY' ? t.quantity : t.quantity.neg();
        for (const [account, qty] of [
          [f.takerId, signed],
          [f.makerId, signed.neg()],
        ] as const) {
          const key = `${account}|${t.instrumentId}`;
          const current: PositionState = positions.get(key) ?? {
            quantity: ZERO,
            costBasis: ZERO,
            realisedPnl: ZERO,
          };
          positions.set(
            key,
            applyTrade(current, { quantity: qty, price: t.price, multiplier: leg.instrument.multiplier }),
          );
        }
      }
    }
    await this.booking.savePositions(client, positions);
    const balances = new Map<string, Decimal>();
    for (const f of fills) {
      for (const p of f.postings) {
        if (p.assetCode !== 'USDC') continue;
        const key = `${p.accountId}|USDC`;
        balances.set(key, (balances.get(key) ?? ZERO).plus(p.amount));
      }
    }
    const applyBalances = () => this.booking.addToBalances(client, balances);

    const events: NewOutboxEvent[] = fills.map((f) => ({
      type: 'fill.booked',
      aggregateType: 'fill',
      aggregateId: f.id,
      payload: { ...fillJson(f, legs), underlyings: [...new Set(legs.map((l) => l.instrument.underlying))] },
      correlationId: ctx.correlationId,
    }));
    const audit: AuditEntry[] = fills.map((f) => ({
      actorId: rfq.takerId,
      action: 'fill.booked',
      entityType: 'fill',
      entityId: f.id,
      before: null,
      after: {
        ...fillJson(f, legs),
        journalEntryId: f.journalEntryId,
        postings: f.postings.map((p) => ({
          accountId: p.accountId,
          asset: p.assetCode,
          amount: p.amount.toFixed(),
        })),
      },
      correlationId: ctx.correlationId,
    }));
    return { fills, quoteUpdates, events, audit, applyBalances };
  }
}
