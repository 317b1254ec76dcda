import { Injectable } from '@nestjs/common';
import { Clock, Decimal, DomainError, ValidationError, systemClock, isUuid } from '@app/core';
import { AuditRepository } from '@app/audit';
import { PG_POOL, rollbackHooksToSavepoint, runInTransaction, savepointHooks } from '@app/db';
import { OutboxRepository } from '@app/events';
import {
  Actor,
  QuoteNotLiveError,
  QuoteView,
  ResolvedLeg,
  RfqExpiredError,
  RfqNotOpenError,
  RfqRepository,
  RfqService,
  RfqView,
  Side,
  isFinalRfqState,
  quoteNotFound,
  rfqJson,
  rfqNotFound,
  rfqStateAfterFill,
  structureLotSize,
  structureTick,
  throwIfProblems,
  validatePriceTick,
} from '@app/rfq';
import {
  IdempotencyRepository,
  ReplayedDomainError,
  SettlementService,
  fillJson,
  requestHash,
} from '@app/settlement';
import { Inject } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { planAccept, planExecution, RankableQuote, SkippedQuote } from './domain/index.js';

export interface AcceptRequest {
  quoteId: string;
  side: Side;
  quantity?: Decimal | null;
}

export interface ExecuteRequest {
  side: Side;
  quantity: Decimal;
  limitPrice: Decimal | null;
  allOrNone?: boolean;
}

export interface ExecutionResponse {
  status: number;
  body: ExecutionResult;
  replayed: boolean;
}

export interface ExecutionResult {
  executionId: string;
  rfqId: string;
  kind: 'accept' | 'execute' | 'auto-execute';
  side: Side;
  requestedQuantity: string;
  filledQuantity: string;
  averagePrice: string | null;
  rfqState: string;
  fills: ReturnType<typeof fillJson>[];
  skipped: SkippedQuote[];
}

function rankable(q: QuoteView, side: 'BID' | 'ASK'): RankableQuote | null {
  const s = side === 'BID' ? q.bid : q.ask;
  if (!s) return null;
  return {
    quoteId: q.id,
    makerId: q.makerId,
    side,
    price: s.price,
    remaining: s.quantity.minus(s.filled),
    minQuantity: s.minQuantity,
    createdAt: q.createdAt,
  };
}

/**
 * Accept, execute and auto-execute. Each runs in one transaction that claims the idempotency key,
 * locks the RFQ and its live quotes, plans with the pure auction rules, and has settlement book the
 * fills; a domain rejection is stored under the key too, so a retry gets the original answer.
 */
@Injectable()
export class AuctionService {
  clock: Clock = systemClock;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly rfqs: RfqRepository,
    private readonly rfqService: RfqService,
    private readonly settlement: SettlementService,
    private readonly idempotency: IdempotencyRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
  ) {}

  private async grid(rfq: RfqView) {
    const legs = await this.rfqService.resolveLegs(rfq);
    return {
      legs,
      lot: structureLotSize(legs.map((l) => ({ ratio: l.ratio, lotSize: l.instrument.lotSize }))),
      tick: structureTick(legs.map((l) => ({ ratio: l.ratio, tickSize: l.instrument.tickSize }))),
    };
  }

  private checkTaker(actor: Actor, rfq: RfqView): void {
    if (actor.role !== 'TAKER' || rfq.takerId !== actor.accountId) throw rfqNotFound(rfq.id);
  }

  async accept(
    actor: Actor,
    rfqId: string,
    request: AcceptRequest,
    idempotencyKey: string,
  ): Promise<ExecutionResponse> {
    const rfq = await this.rfqService.getVisible(actor, rfqId);
    this.checkTaker(actor, rfq);
    const { legs, lot } = await this.grid(rfq);
    if (request.quantity && (!request.quantity.gt(0) || !request.quantity.mod(lot).isZero())) {
      throw new ValidationError(
        `quantity must be a positive multiple of the structure lot ${lot.toFixed()}`,
        [{ field: 'quantity', message: 'invalid' }],
        'VALIDATION.LOT',
      );
    }
    const scope = 'rfq.accept';
    const body = {
      rfqId,
      quoteId: request.quoteId,
      side: request.side,
      quantity: request.quantity?.toFixed() ?? null,
    };
    return this.run(actor, rfq.id, scope, body, idempotencyKey, async (client, locked, quotes) => {
      const quote = quotes.find((q) => q.id === request.quoteId);
      if (!quote) {
        const other = isUuid(request.quoteId) ? await this.rfqs.findQuote(client, request.quoteId) : null;
        if (!other || other.rfqId !== rfqId) throw quoteNotFound(request.quoteId);
        throw new QuoteNotLiveError(request.quoteId, other.state);
      }
      if (quote.validUntil <= this.clock.now()) throw new QuoteNotLiveError(quote.id, 'EXPIRED');
      const side = request.side === 'BUY' ? 'ASK' : 'BID';
      const r = rankable(quote, side);
      if (!r)
        throw new DomainError('QUOTE.WRONG_SIDE', `quote ${quote.id} has no ${side}`, 'unprocessable', [
          { field: 'side', message: `no ${side}` },
        ]);
      const allocation = planAccept({
        quote: r,
        takerSide: request.side,
        quantity: request.quantity ?? null,
        rfqRemaining: locked.quantity.minus(locked.filledQuantity),
        lotSize: lot,
      });
      return this.bookPlan(
        client,
        locked,
        legs,
        request.side,
        [{ quote, quantity: allocation.quantity, price: allocation.price }],
        'accept',
        [],
        actor.correlationId ?? null,
        request.quantity ?? allocation.quantity,
      );
    });
  }

  async execute(
    actor: Actor,
    rfqId: string,
    request: ExecuteRequest,
    idempotencyKey: string,
    kind: 'execute' | 'auto-execute' = 'execute',
  ): Promise<ExecutionResponse> {
    const rfq = await this.rfqService.getVisible(actor, rfqId);
    this.checkTaker(actor, rfq);
    const { legs, lot, tick } = await this.grid(rfq);
    if (!request.quantity.gt(0) || !request.quantity.mod(lot).isZero()) {
      throw new ValidationError(
        `quantity must be a positive multiple of the structure lot ${lot.toFixed()}`,
        [{ field: 'quantity', message: 'invalid' }],
        'VALIDATION.LOT',
      );
    }
    if (request.limitPrice) throwIfProblems(validatePriceTick(request.limitPrice, tick, 'limitPrice'));
    const scope = kind === 'execute' ? 'rfq.execute' : 'rfq.auto-execute';
    const body = {
      rfqId,
      side: request.side,
      quantity: request.quantity.toFixed(),
      limitPrice: request.limitPrice?.toFixed() ?? null,
      allOrNone: request.allOrNone ?? false,
    };
    return this.run(actor, rfq.id, scope, body, idempotencyKey, async (client, locked, quotes) => {
      const remaining = locked.quantity.minus(locked.filledQuantity);
      if (request.quantity.gt(remaining)) {
        throw new DomainError(
          'RFQ.QUANTITY_EXCEEDED',
          `quantity ${request.quantity.toFixed()} exceeds the RFQ's remaining ${remaining.toFixed()}`,
          'unprocessable',
          [{ field: 'quantity', message: 'exceeds remaining' }],
        );
      }
      const now = this.clock.now();
      const side = request.side === 'BUY' ? 'ASK' : 'BID';
      const candidates = quotes
        .filter((q) => q.validUntil > now)
        .map((q) => rankable(q, side))
        .filter((r): r is RankableQuote => r !== null);
      const plan = planExecution({
        takerSide: request.side,
        quantity: request.quantity,
        limitPrice: request.limitPrice,
        quotes: candidates,
        lotSize: lot,
        allOrNone: request.allOrNone ?? false,
      });
      if (plan.allocations.length === 0) {
        throw new DomainError(
          'AUCTION.NO_MATCH',
          'no live quote can fill this order within its limit',
          'unprocessable',
          plan.skipped.map((s) => ({ message: s.reason, quoteId: s.quoteId, reason: s.reason })),
        );
      }
      const byId = new Map(quotes.map((q) => [q.id, q]));
      return this.bookPlan(
        client,
        locked,
        legs,
        request.side,
        plan.allocations.map((a) => ({ quote: byId.get(a.quoteId)!, quantity: a.quantity, price: a.price })),
        kind,
        plan.skipped,
        actor.correlationId ?? null,
        request.quantity,
      );
    });
  }

  /** Auto-execution at the end of the collection window: the same as the taker calling execute then. */
  async autoExecute(rfqId: string): Promise<ExecutionResponse | null> {
    const rfq = await this.rfqs.findRfq(this.pool, rfqId);
    if (!rfq?.autoExecute || isFinalRfqState(rfq.state)) return null;
    const actor: Actor = { accountId: rfq.takerId, role: 'TAKER', correlationId: null };
    try {
      return await this.execute(
        actor,
        rfqId,
        {
          side: rfq.autoExecute.side,
          quantity: rfq.quantity.minus(rfq.filledQuantity),
          limitPrice: rfq.autoExecute.limitPrice,
        },
        `auto-execute:${rfqId}`,
        'auto-execute',
      );
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  }

  private async run(
    actor: Actor,
    rfqId: string,
    scope: string,
    body: Record<string, unknown>,
    key: string,
    work: (client: PoolClient, rfq: RfqView, quotes: QuoteView[]) => Promise<ExecutionResult>,
  ): Promise<ExecutionResponse> {
    const hash = requestHash(scope, body);
    const outcome = await runInTransaction(this.pool, async (client) => {
      const stored = await this.idempotency.claim(client, actor.accountId, key, scope, hash);
      if (stored) return { stored, replayed: true };
      await client.query('SAVEPOINT booking');
      savepointHooks(client);
      try {
        const rfq = await this.rfqs.lockRfq(client, rfqId, 'UPDATE');
        if (!rfq) throw rfqNotFound(rfqId);
        if (isFinalRfqState(rfq.state)) throw new RfqNotOpenError(rfqId, rfq.state);
        if (rfq.expiresAt <= this.clock.now()) throw new RfqExpiredError(rfqId);
        const quotes = await this.rfqs.lockLiveQuotes(client, rfqId);
        const result = await work(client, rfq, quotes);
        const response = { status: 200, body: result };
        await this.idempotency.complete(client, actor.accountId, key, response);
        // Answer with the stored form, so the first response and every replay are identical.
        return {
          stored: { status: 200, body: JSON.parse(JSON.stringify(result)) as unknown },
          replayed: false,
        };
      } catch (error) {
        // A business rejection is the request's answer: keep it under the key, undo the rest.
        if (!(error instanceof DomainError) || error.kind === 'bad_request' || error.kind === 'unavailable')
          throw error;
        await client.query('ROLLBACK TO SAVEPOINT booking');
        rollbackHooksToSavepoint(client);
        const response = {
          status: 0,
          body: {
            error: { code: error.code, message: error.message, kind: error.kind, details: error.details },
          },
        };
        await this.idempotency.complete(client, actor.accountId, key, response);
        return { stored: response, replayed: false, error };
      }
    });
    if ('error' in outcome && outcome.error) throw outcome.error;
    const { stored, replayed } = outcome;
    if (stored.status === 0) {
      const e = (
        stored.body as {
          error: {
            code: string;
            message: string;
            kind: DomainError['kind'];
            details: DomainError['details'];
          };
        }
      ).error;
      throw new ReplayedDomainError(e.code, e.message, e.kind, e.details);
    }
    return { status: stored.status, body: stored.body as ExecutionResult, replayed };
  }

  private async bookPlan(
    client: PoolClient,
    rfq: RfqView,
    legs: ResolvedLeg[],
    takerSide: Side,
    allocations: Array<{ quote: QuoteView; quantity: Decimal; price: Decimal }>,
    kind: ExecutionResult['kind'],
    skipped: SkippedQuote[],
    correlationId: string | null,
    requested: Decimal,
  ): Promise<ExecutionResult> {
    const now = this.clock.now();
    const executionId = randomUUID();
    const booked = await this.settlement.book(client, {
      rfq,
      legs,
      takerSide,
      allocations,
      executionId,
      correlationId,
      now,
    });
    const filled = booked.fills.reduce((sum, f) => sum.plus(f.quantity), new Decimal(0));
    const newFilled = rfq.filledQuantity.plus(filled);
    const state = rfqStateAfterFill(rfq.quantity, newFilled);
    for (const u of booked.quoteUpdates)
      await this.rfqs.updateQuoteFill(client, u.quote.id, u.bidFilled, u.askFilled, u.state);
    await this.rfqs.updateRfq(client, rfq.id, state, newFilled, state === 'FILLED');
    // A filled RFQ leaves nothing to trade: its remaining quotes are cancelled with it.
    const leftovers =
      state === 'FILLED' ? booked.quoteUpdates.filter((u) => u.state === 'LIVE').map((u) => u.quote.id) : [];
    const others =
      state === 'FILLED' ? (await this.rfqs.lockLiveQuotes(client, rfq.id)).map((q) => q.id) : [];
    const toCancel = [...new Set([...leftovers, ...others])];
    await this.rfqs.setQuoteState(client, toCancel, 'CANCELLED');

    const weighted = booked.fills.reduce((sum, f) => sum.plus(f.price.mul(f.quantity)), new Decimal(0));
    const result: ExecutionResult = {
      executionId,
      rfqId: rfq.id,
      kind,
      side: takerSide,
      requestedQuantity: requested.toFixed(),
      filledQuantity: filled.toFixed(),
      averagePrice: filled.isZero() ? null : weighted.div(filled).toDecimalPlaces(8).toFixed(),
      rfqState: state,
      fills: booked.fills.map((f) => fillJson(f, legs)),
      skipped,
    };
    const after = { ...rfq, state, filledQuantity: newFilled };
    await this.outbox.append(client, [
      ...booked.events,
      ...booked.quoteUpdates.map((u) => ({
        type:
          u.state === 'FILLED' || toCancel.includes(u.quote.id) ? 'quote.filled' : 'quote.partially-filled',
        aggregateType: 'quote',
        aggregateId: u.quote.id,
        payload: {
          id: u.quote.id,
          rfqId: rfq.id,
          makerId: u.quote.makerId,
          takerId: rfq.takerId,
          state: toCancel.includes(u.quote.id) ? 'CANCELLED' : u.state,
          bidFilled: u.bidFilled.toFixed(),
          askFilled: u.askFilled.toFixed(),
        },
        correlationId,
      })),
      ...toCancel
        .filter((id) => !booked.quoteUpdates.some((u) => u.quote.id === id))
        .map((id) => ({
          type: 'quote.cancelled',
          aggregateType: 'quote',
          aggregateId: id,
          payload: { id, rfqId: rfq.id, takerId: rfq.takerId, state: 'CANCELLED', reason: 'rfq filled' },
          correlationId,
        })),
      {
        type: `rfq.${state === 'FILLED' ? 'filled' : 'partially-filled'}`,
        aggregateType: 'rfq',
        aggregateId: rfq.id,
        payload: {
          ...rfqJson(after),
          takerId: rfq.takerId,
          routedToAll: rfq.routedToAll,
          makers: rfq.makers,
        },
        correlationId,
      },
    ]);
    await this.audit.append(client, [
      {
        actorId: rfq.takerId,
        action: `auction.${kind}`,
        entityType: 'rfq',
        entityId: rfq.id,
        before: { state: rfq.state, filledQuantity: rfq.filledQuantity.toFixed() },
        after: {
          state,
          filledQuantity: newFilled.toFixed(),
          executionId,
          allocations: allocations.map((a) => ({
            quoteId: a.quote.id,
            quantity: a.quantity.toFixed(),
            price: a.price.toFixed(),
          })),
          skipped,
        },
        correlationId,
      },
      ...booked.audit,
    ]);
    // The write to a row every booking shares (the fee account's balance) comes last, so its row
    // lock is held for as little as possible before COMMIT.
    await booked.applyBalances();
    return result;
  }
}
