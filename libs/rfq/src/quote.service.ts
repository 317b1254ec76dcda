import { Injectable } from '@nestjs/common';
import { Clock, Decimal, DomainError, ValidationError, systemClock, isUuid } from '@app/core';
import { AuditRepository } from '@app/audit';
import { runInTransaction } from '@app/db';
import { NewOutboxEvent, OutboxRepository } from '@app/events';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  assertQuoteTransition,
  isFinalRfqState,
  structureLotSize,
  structureTick,
  validatePriceTick,
  RuleProblem,
} from './domain/index.js';
import {
  duplicateClientId,
  QuoteNotLiveError,
  quoteNotFound,
  RfqNotOpenError,
  RfqExpiredError,
  rfqNotFound,
} from './rfq.errors.js';
import { quoteJson } from './rfq.json.js';
import { RfqRepository } from './rfq.repository.js';
import { RfqService } from './rfq.service.js';
import type { Actor, QuoteSideInput, QuoteView, RfqView, SubmitQuoteInput } from './rfq.types.js';

export const QUOTE_MAX_VALIDITY_SECONDS = 3_600;

/** A pre-trade gate run inside the quote's transaction (kill switches, maker protection freezes). */
export interface QuoteGate {
  assertMayQuote(client: PoolClient, makerId: string, rfq: RfqView): Promise<void>;
}

/**
 * Quotes from every maker, external or built-in, go through here: the same rules for all. The RFQ
 * row is share-locked while a quote is written, so a quote never lands on an RFQ being closed.
 * A quote has no timer job: an accept checks its validity in the booking transaction, and the
 * engine's sweeper marks due quotes EXPIRED (most quotes are replaced, filled or cancelled first,
 * and a delayed job per quote cost more Redis and PostgreSQL round trips than the quote itself).
 */
@Injectable()
export class QuoteService {
  clock: Clock = systemClock;
  private gates: QuoteGate[] = [];

  constructor(
    private readonly rfqs: RfqRepository,
    private readonly rfqService: RfqService,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
  ) {}

  addGate(gate: QuoteGate): void {
    this.gates.push(gate);
  }

  private validateSides(input: SubmitQuoteInput, rfq: RfqView, lot: Decimal, tick: Decimal): void {
    const problems: Array<RuleProblem | { code: string; field: string; message: string }> = [];
    if (!input.bid && !input.ask)
      problems.push({ code: 'QUOTE.EMPTY', field: 'bid', message: 'a quote needs a bid, an ask, or both' });
    const check = (name: 'bid' | 'ask', s: QuoteSideInput | null | undefined) => {
      if (!s) return;
      problems.push(...validatePriceTick(s.price, tick, `${name}.price`));
      if (!s.quantity.gt(0))
        problems.push({ code: 'QUOTE.INVALID_QUANTITY', field: `${name}.quantity`, message: 'must be > 0' });
      else if (!s.quantity.mod(lot).isZero())
        problems.push({
          code: 'QUOTE.INVALID_QUANTITY',
          field: `${name}.quantity`,
          message: `must be a multiple of the structure lot ${lot.toFixed()}`,
        });
      else if (s.quantity.gt(rfq.quantity))
        problems.push({
          code: 'QUOTE.INVALID_QUANTITY',
          field: `${name}.quantity`,
          message: `exceeds the RFQ quantity ${rfq.quantity.toFixed()}`,
        });
      if (s.minQuantity !== undefined && s.minQuantity !== null) {
        if (!s.minQuantity.gt(0) || s.minQuantity.gt(s.quantity) || !s.minQuantity.mod(lot).isZero())
          problems.push({
            code: 'QUOTE.INVALID_MIN_QUANTITY',
            field: `${name}.minQuantity`,
            message: `must be a lot multiple in (0, quantity]`,
          });
      }
    };
    check('bid', input.bid);
    check('ask', input.ask);
    if (input.bid && input.ask && input.bid.price.gte(input.ask.price)) {
      problems.push({ code: 'QUOTE.CROSSED', field: 'bid.price', message: 'bid must be below ask' });
    }
    if (
      !Number.isInteger(input.validForSeconds) ||
      input.validForSeconds < 1 ||
      input.validForSeconds > QUOTE_MAX_VALIDITY_SECONDS
    ) {
      problems.push({
        code: 'QUOTE.INVALID_VALIDITY',
        field: 'validForSeconds',
        message: `must be an integer 1..${QUOTE_MAX_VALIDITY_SECONDS}`,
      });
    }
    const [first] = problems;
    if (first) throw new ValidationError(first.message, problems, first.code);
  }

  private async grid(rfq: RfqView): Promise<{ lot: Decimal; tick: Decimal }> {
    const legs = await this.rfqService.resolveLegs(rfq);
    return {
      lot: structureLotSize(legs.map((l) => ({ ratio: l.ratio, lotSize: l.instrument.lotSize }))),
      tick: structureTick(legs.map((l) => ({ ratio: l.ratio, tickSize: l.instrument.tickSize }))),
    };
  }

  async submit(actor: Actor, input: SubmitQuoteInput): Promise<{ quote: QuoteView; created: boolean }> {
    if (actor.role !== 'MAKER') throw new DomainError('ACCOUNT.NOT_MAKER', 'only makers quote', 'forbidden');
    if (!isUuid(input.rfqId)) throw rfqNotFound(input.rfqId);
    // The hot path reads nothing before its transaction: the RFQ is validated against the row it
    // locks, and a retried client quote id shows up as the unique violation (or a refusal) below.
    try {
      const quote = await runInTransaction(this.rfqs.db, (client) => this.insert(client, actor, input, null));
      return { quote, created: true };
    } catch (error) {
      const duplicate = (error as { code?: string }).code === '23505';
      // Bad input is its own answer (a retry of a valid quote is never bad input).
      if (!duplicate && (!(error instanceof DomainError) || error.kind === 'bad_request')) throw error;
      // A retry of a quote that exists gets it back, even once its RFQ has closed.
      const existing = await this.rfqs.findQuoteByClientId(
        this.rfqs.db,
        actor.accountId,
        input.clientQuoteId,
      );
      if (existing && this.sameQuote(existing, input)) return { quote: existing, created: false };
      if (existing || duplicate) throw duplicateClientId('quote', input.clientQuoteId);
      throw error;
    }
  }

  private sameQuote(q: QuoteView, input: SubmitQuoteInput): boolean {
    const same = (a: QuoteView['bid'], b: QuoteSideInput | null | undefined) =>
      (!a && !b) ||
      (!!a &&
        !!b &&
        a.price.eq(b.price) &&
        a.quantity.eq(b.quantity) &&
        (a.minQuantity?.toFixed() ?? null) === (b.minQuantity?.toFixed() ?? null));
    return (
      q.rfqId === input.rfqId &&
      same(q.bid, input.bid) &&
      same(q.ask, input.ask) &&
      q.cancelOnDisconnect === (input.cancelOnDisconnect ?? true)
    );
  }

  private async insert(
    client: PoolClient,
    actor: Actor,
    input: SubmitQuoteInput,
    replaces: QuoteView | null,
    /** The RFQ row when the caller has share-locked it already in this transaction. */
    lockedRfq?: RfqView | null,
  ): Promise<QuoteView> {
    const rfq = lockedRfq !== undefined ? lockedRfq : await this.rfqs.lockRfq(client, input.rfqId, 'SHARE');
    if (!rfq || !this.rfqService.canSee(actor, rfq)) throw rfqNotFound(input.rfqId);
    const { lot, tick } = await this.grid(rfq);
    this.validateSides(input, rfq, lot, tick);
    const now = this.clock.now();
    if (isFinalRfqState(rfq.state)) throw new RfqNotOpenError(rfq.id, rfq.state);
    if (rfq.expiresAt <= now) throw new RfqExpiredError(rfq.id);
    for (const gate of this.gates) await gate.assertMayQuote(client, actor.accountId, rfq);

    const validUntil = new Date(
      Math.min(now.getTime() + input.validForSeconds * 1000, rfq.expiresAt.getTime()),
    );
    const id = randomUUID();
    const side = (s: QuoteSideInput | null | undefined) =>
      s ? { price: s.price, quantity: s.quantity, minQuantity: s.minQuantity ?? null } : null;
    if (replaces) await this.rfqs.setQuoteState(client, [replaces.id], 'REPLACED');
    const quote = await this.rfqs.insertQuote(client, {
      id,
      rfqId: rfq.id,
      makerId: actor.accountId,
      clientQuoteId: input.clientQuoteId,
      bid: side(input.bid),
      ask: side(input.ask),
      validUntil,
      replacesId: replaces?.id ?? null,
      cancelOnDisconnect: input.cancelOnDisconnect ?? true,
      createdAt: now,
    });
    const payload = { ...quoteJson(quote), takerId: rfq.takerId };
    const correlationId = actor.correlationId ?? null;
    const events: NewOutboxEvent[] = [];
    if (replaces) {
      events.push({
        type: 'quote.replaced',
        aggregateType: 'quote',
        aggregateId: replaces.id,
        payload: {
          id: replaces.id,
          rfqId: rfq.id,
          makerId: actor.accountId,
          takerId: rfq.takerId,
          state: 'REPLACED',
          replacedBy: id,
        },
        correlationId,
      });
    }
    events.push({ type: 'quote.created', aggregateType: 'quote', aggregateId: id, payload, correlationId });
    await this.outbox.append(client, events);
    await this.audit.append(client, [
      ...(replaces
        ? [
            {
              actorId: actor.accountId,
              action: 'quote.replaced',
              entityType: 'quote',
              entityId: replaces.id,
              before: { state: 'LIVE' },
              after: { state: 'REPLACED', replacedBy: id },
              correlationId,
            },
          ]
        : []),
      {
        actorId: actor.accountId,
        action: 'quote.created',
        entityType: 'quote',
        entityId: id,
        before: null,
        after: quoteJson(quote),
        correlationId,
      },
    ]);
    return quote;
  }

  /** Replaces a live quote: the old one becomes REPLACED and can never fill; the new one is live. */
  async replace(
    actor: Actor,
    quoteId: string,
    input: Omit<SubmitQuoteInput, 'rfqId' | 'clientQuoteId'> & { clientQuoteId?: string },
  ): Promise<QuoteView> {
    const old = await this.ownQuote(actor, quoteId);
    const rfq = await this.rfqService.getVisible(actor, old.rfqId);
    const { lot, tick } = await this.grid(rfq);
    const full: SubmitQuoteInput = {
      ...input,
      rfqId: old.rfqId,
      clientQuoteId: input.clientQuoteId ?? `${old.clientQuoteId}~${randomUUID().slice(0, 8)}`,
    };
    this.validateSides(full, rfq, lot, tick);
    const quote = await runInTransaction(this.rfqs.db, async (client) => {
      // RFQ first, then the quote: the same lock order as a fill, so the two cannot deadlock.
      const lockedRfq = await this.rfqs.lockRfq(client, old.rfqId, 'SHARE');
      const locked = await this.rfqs.lockQuote(client, quoteId);
      if (!locked || locked.state !== 'LIVE')
        throw new QuoteNotLiveError(quoteId, locked?.state ?? 'missing');
      assertQuoteTransition('LIVE', 'REPLACED');
      return this.insert(client, actor, full, locked, lockedRfq);
    });
    return quote;
  }

  private async ownQuote(actor: Actor, quoteId: string): Promise<QuoteView> {
    const q = isUuid(quoteId) ? await this.rfqs.findQuote(this.rfqs.db, quoteId) : null;
    if (!q || (actor.role !== 'ADMIN' && q.makerId !== actor.accountId)) throw quoteNotFound(quoteId);
    return q;
  }

  async get(actor: Actor, quoteId: string): Promise<QuoteView> {
    const q = isUuid(quoteId) ? await this.rfqs.findQuote(this.rfqs.db, quoteId) : null;
    if (!q) throw quoteNotFound(quoteId);
    if (actor.role === 'MAKER' && q.makerId !== actor.accountId) throw quoteNotFound(quoteId);
    if (actor.role === 'TAKER') {
      const rfq = await this.rfqs.findRfq(this.rfqs.db, q.rfqId);
      if (!rfq || rfq.takerId !== actor.accountId) throw quoteNotFound(quoteId);
    }
    return q;
  }

  async cancel(actor: Actor, quoteId: string): Promise<QuoteView> {
    await this.ownQuote(actor, quoteId);
    const [cancelled] = await this.cancelWhere(
      actor,
      async (client) => {
        const q = await this.rfqs.lockQuote(client, quoteId);
        if (!q || q.state !== 'LIVE') throw new QuoteNotLiveError(quoteId, q?.state ?? 'missing');
        return [q];
      },
      'cancelled by maker',
    );
    return cancelled!;
  }

  /** Cancels every live quote of the maker (optionally on one RFQ): the maker's kill switch. */
  async cancelAll(
    actor: Actor,
    options: { rfqId?: string; onlyCancelOnDisconnect?: boolean; quoteIds?: string[]; reason?: string } = {},
  ): Promise<QuoteView[]> {
    return this.cancelWhere(
      actor,
      (client) =>
        this.rfqs.lockLiveQuotesOfMaker(
          client,
          actor.accountId,
          options.rfqId,
          options.onlyCancelOnDisconnect ?? false,
          options.quoteIds,
        ),
      options.reason ?? 'cancel all',
    );
  }

  private async cancelWhere(
    actor: Actor,
    select: (client: PoolClient) => Promise<QuoteView[]>,
    reason: string,
  ): Promise<QuoteView[]> {
    return runInTransaction(this.rfqs.db, async (client) => {
      const quotes = await select(client);
      if (quotes.length === 0) return [];
      await this.rfqs.setQuoteState(
        client,
        quotes.map((q) => q.id),
        'CANCELLED',
      );
      const correlationId = actor.correlationId ?? null;
      const takers = await this.takersOf(client, quotes);
      await this.outbox.append(
        client,
        quotes.map((q) => ({
          type: 'quote.cancelled',
          aggregateType: 'quote',
          aggregateId: q.id,
          payload: {
            id: q.id,
            rfqId: q.rfqId,
            makerId: q.makerId,
            takerId: takers.get(q.rfqId) ?? null,
            state: 'CANCELLED',
            reason,
          },
          correlationId,
        })),
      );
      await this.audit.append(
        client,
        quotes.map((q) => ({
          actorId: actor.role === 'SYSTEM' ? null : actor.accountId,
          action: 'quote.cancelled',
          entityType: 'quote',
          entityId: q.id,
          before: { state: 'LIVE' },
          after: { state: 'CANCELLED', reason },
          correlationId,
        })),
      );
      return quotes.map((q) => ({ ...q, state: 'CANCELLED' as const }));
    });
  }

  private async takersOf(client: PoolClient, quotes: QuoteView[]): Promise<Map<string, string>> {
    const ids = [...new Set(quotes.map((q) => q.rfqId))];
    const { rows } = await client.query<{ id: string; taker_id: string }>(
      'SELECT id, taker_id FROM rfqs WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.taker_id]));
  }

  /** Quote expiry (timer job or sweeper): a no-op unless the quote is live and past its validity. */
  async expire(quoteId: string): Promise<void> {
    await runInTransaction(this.rfqs.db, async (client) => {
      const q = await this.rfqs.lockQuote(client, quoteId);
      if (!q || q.state !== 'LIVE' || q.validUntil > this.clock.now()) return;
      await this.rfqs.setQuoteState(client, [q.id], 'EXPIRED');
      const takers = await this.takersOf(client, [q]);
      await this.outbox.append(client, [
        {
          type: 'quote.expired',
          aggregateType: 'quote',
          aggregateId: q.id,
          payload: {
            id: q.id,
            rfqId: q.rfqId,
            makerId: q.makerId,
            takerId: takers.get(q.rfqId) ?? null,
            state: 'EXPIRED',
          },
          correlationId: null,
        },
      ]);
      await this.audit.append(client, [
        {
          actorId: null,
          action: 'quote.expired',
          entityType: 'quote',
          entityId: q.id,
          before: { state: 'LIVE' },
          after: { state: 'EXPIRED' },
          correlationId: null,
        },
      ]);
    });
  }

  async list(
    actor: Actor,
    filter: { rfqId?: string; states?: QuoteView['state'][]; limit: number },
  ): Promise<QuoteView[]> {
    if (actor.role === 'MAKER')
      return this.rfqs.listQuotes(this.rfqs.db, { ...filter, makerId: actor.accountId });
    if (actor.role === 'TAKER') {
      if (!filter.rfqId) return [];
      await this.rfqService.getVisible(actor, filter.rfqId);
    }
    return this.rfqs.listQuotes(this.rfqs.db, filter);
  }
}
