import { Injectable } from '@nestjs/common';
import { Clock, DomainError, ValidationError, dec, systemClock, isUuid } from '@app/core';
import { AuditRepository } from '@app/audit';
import { runInTransaction } from '@app/db';
import { OutboxRepository } from '@app/events';
import { randomUUID } from 'node:crypto';
import {
  RfqState,
  isFinalRfqState,
  structureTick,
  throwIfProblems,
  validateLegs,
  validatePriceTick,
  validateStructureQuantity,
  assertRfqTransition,
} from './domain/index.js';
import { InstrumentInfo, InstrumentRepository } from './instrument.repository.js';
import { duplicateClientId, RfqNotOpenError, rfqNotFound } from './rfq.errors.js';
import { rfqJson } from './rfq.json.js';
import { RfqRepository } from './rfq.repository.js';
import type { Actor, CreateRfqInput, RfqView } from './rfq.types.js';
import { TimerScheduler } from './timer-scheduler.service.js';

export const RFQ_MIN_EXPIRY_SECONDS = 5;
export const RFQ_MAX_EXPIRY_SECONDS = 86_400;

/** Resolved legs with their instruments, used by every rule that needs ticks, lots or kinds. */
export interface ResolvedLeg {
  instrument: InstrumentInfo;
  side: 'BUY' | 'SELL';
  ratio: ReturnType<typeof dec>;
}

/** A pre-trade check on a new RFQ (kill switches): throws a DomainError to refuse it. */
export interface RfqGate {
  assertMayRequest(takerId: string, underlyings: string[]): Promise<void>;
}

@Injectable()
export class RfqService {
  clock: Clock = systemClock;
  private readonly gates: RfqGate[] = [];

  addGate(gate: RfqGate): void {
    this.gates.push(gate);
  }

  constructor(
    private readonly rfqs: RfqRepository,
    private readonly instruments: InstrumentRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
    private readonly timers: TimerScheduler,
  ) {}

  async resolveLegs(rfq: Pick<RfqView, 'legs'>): Promise<ResolvedLeg[]> {
    return Promise.all(
      rfq.legs.map(async (l) => {
        const instrument = await this.instruments.findById(l.instrumentId);
        if (!instrument)
          throw new DomainError('INSTRUMENT.NOT_FOUND', `instrument ${l.instrument} not found`, 'not_found');
        return { instrument, side: l.side, ratio: l.ratio };
      }),
    );
  }

  async create(actor: Actor, input: CreateRfqInput): Promise<{ rfq: RfqView; created: boolean }> {
    if (actor.role !== 'TAKER')
      throw new DomainError('ACCOUNT.NOT_TAKER', 'only takers submit RFQs', 'forbidden');
    const now = this.clock.now();
    if (
      !Number.isInteger(input.expiresInSeconds) ||
      input.expiresInSeconds < RFQ_MIN_EXPIRY_SECONDS ||
      input.expiresInSeconds > RFQ_MAX_EXPIRY_SECONDS
    ) {
      throw new ValidationError(
        `expiresInSeconds must be an integer ${RFQ_MIN_EXPIRY_SECONDS}..${RFQ_MAX_EXPIRY_SECONDS}`,
        [{ field: 'expiresInSeconds', message: 'out of range' }],
      );
    }
    const expiresAt = new Date(now.getTime() + input.expiresInSeconds * 1000);

    const legs = await Promise.all(
      input.legs.map(async (leg, i) => {
        const instrument = await this.instruments.findByName(leg.instrument);
        if (!instrument) {
          throw new ValidationError(
            `unknown instrument ${leg.instrument}`,
            [{ field: `legs[${i}].instrument`, message: 'unknown instrument' }],
            'RFQ.UNKNOWN_INSTRUMENT',
          );
        }
        if (!instrument.active || (instrument.expiry && instrument.expiry <= expiresAt)) {
          throw new DomainError(
            'INSTRUMENT.NOT_TRADABLE',
            `instrument ${leg.instrument} expires before the RFQ or is inactive`,
            'unprocessable',
            [{ field: `legs[${i}].instrument`, message: 'not tradable' }],
          );
        }
        return { instrument, side: leg.side, ratio: leg.ratio };
      }),
    );
    throwIfProblems(validateLegs(legs.map((l) => ({ instrumentId: l.instrument.id, ratio: l.ratio }))));
    if (!input.quantity.isPositive() || input.quantity.isZero()) {
      throw new ValidationError(
        'quantity must be positive',
        [{ field: 'quantity', message: 'must be > 0' }],
        'RFQ.INVALID_QUANTITY',
      );
    }
    throwIfProblems(
      validateStructureQuantity(
        input.quantity,
        legs.map((l) => ({ ratio: l.ratio, lotSize: l.instrument.lotSize })),
      ),
    );

    let autoExecute: { side: 'BUY' | 'SELL'; limitPrice: ReturnType<typeof dec>; at: Date } | null = null;
    if (input.autoExecute) {
      const a = input.autoExecute;
      if (
        !Number.isInteger(a.afterSeconds) ||
        a.afterSeconds < 1 ||
        a.afterSeconds >= input.expiresInSeconds
      ) {
        throw new ValidationError(
          'autoExecute.afterSeconds must be an integer from 1 to below expiresInSeconds',
          [{ field: 'autoExecute.afterSeconds', message: 'out of range' }],
        );
      }
      const tick = structureTick(legs.map((l) => ({ ratio: l.ratio, tickSize: l.instrument.tickSize })));
      throwIfProblems(validatePriceTick(a.limitPrice, tick, 'autoExecute.limitPrice'));
      autoExecute = {
        side: a.side,
        limitPrice: a.limitPrice,
        at: new Date(now.getTime() + a.afterSeconds * 1000),
      };
    }

    let makers: string[] = [];
    if (input.makers && input.makers.length > 0) {
      const found = await this.rfqs.accountRoles(this.rfqs.db, input.makers);
      const unknown = input.makers.filter(
        (m) => !found.some((f) => (f.id === m || f.name === m) && f.role === 'MAKER'),
      );
      if (unknown.length > 0) {
        throw new ValidationError(
          `unknown makers: ${unknown.join(', ')}`,
          unknown.map((m) => ({ field: 'makers', message: `unknown maker ${m}` })),
          'RFQ.UNKNOWN_MAKER',
        );
      }
      makers = [...new Set(found.filter((f) => f.role === 'MAKER').map((f) => f.id))].sort();
    }

    const existing = await this.rfqs.findRfqByClientId(this.rfqs.db, actor.accountId, input.clientRfqId);
    if (existing)
      return this.sameRfq(existing, input, legs)
        ? { rfq: existing, created: false }
        : Promise.reject(duplicateClientId('rfq', input.clientRfqId));

    // Kill switches after the client-id lookup: a retry of an RFQ that exists gets it back.
    for (const gate of this.gates)
      await gate.assertMayRequest(actor.accountId, [...new Set(legs.map((l) => l.instrument.underlying))]);

    const id = randomUUID();
    let rfq: RfqView;
    try {
      rfq = await runInTransaction(this.rfqs.db, async (client) => {
        const rfq = await this.rfqs.insertRfq(client, {
          id,
          takerId: actor.accountId,
          clientRfqId: input.clientRfqId,
          quantity: input.quantity,
          disclosed: input.disclosed ?? false,
          routedToAll: makers.length === 0,
          makers,
          legs: legs.map((l) => ({
            instrumentId: l.instrument.id,
            instrument: l.instrument.name,
            side: l.side,
            ratio: l.ratio,
          })),
          autoExecute,
          expiresAt,
          createdAt: now,
          correlationId: actor.correlationId ?? null,
        });
        const payload = rfqJson(rfq);
        await this.outbox.append(client, [
          {
            type: 'rfq.created',
            aggregateType: 'rfq',
            aggregateId: id,
            payload: { ...payload, takerId: rfq.takerId, routedToAll: rfq.routedToAll, makers: rfq.makers },
            correlationId: actor.correlationId ?? null,
          },
        ]);
        await this.audit.append(client, [
          {
            actorId: actor.accountId,
            action: 'rfq.created',
            entityType: 'rfq',
            entityId: id,
            before: null,
            after: payload,
            correlationId: actor.correlationId ?? null,
          },
        ]);
        return rfq;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        const raced = await this.rfqs.findRfqByClientId(this.rfqs.db, actor.accountId, input.clientRfqId);
        if (raced && this.sameRfq(raced, input, legs)) return { rfq: raced, created: false };
        throw duplicateClientId('rfq', input.clientRfqId);
      }
      throw error;
    }
    await this.timers.schedule([
      { job: { kind: 'rfq.expire', rfqId: id }, at: expiresAt },
      ...(autoExecute ? [{ job: { kind: 'rfq.auto-execute' as const, rfqId: id }, at: autoExecute.at }] : []),
    ]);
    return { rfq, created: true };
  }

  private sameRfq(existing: RfqView, input: CreateRfqInput, legs: ResolvedLeg[]): boolean {
    return (
      existing.quantity.eq(input.quantity) &&
      existing.legs.length === legs.length &&
      existing.legs.every(
        (l, i) =>
          l.instrumentId === legs[i]!.instrument.id && l.side === legs[i]!.side && l.ratio.eq(legs[i]!.ratio),
      )
    );
  }

  /** The RFQ as `actor` may see it: its taker, a maker it is routed to, or an admin; else 404. */
  async getVisible(actor: Actor, id: string): Promise<RfqView> {
    const rfq = isUuid(id) ? await this.rfqs.findRfq(this.rfqs.db, id) : null;
    if (!rfq || !this.canSee(actor, rfq)) throw rfqNotFound(id);
    return rfq;
  }

  canSee(actor: Actor, rfq: Pick<RfqView, 'takerId' | 'routedToAll' | 'makers'>): boolean {
    switch (actor.role) {
      case 'ADMIN':
        return true;
      case 'TAKER':
        return rfq.takerId === actor.accountId;
      case 'MAKER':
        return rfq.routedToAll || rfq.makers.includes(actor.accountId);
      case 'SYSTEM':
        return true;
    }
  }

  async cancel(actor: Actor, id: string): Promise<RfqView> {
    const visible = await this.getVisible(actor, id);
    if (actor.role !== 'ADMIN' && visible.takerId !== actor.accountId) throw rfqNotFound(id);
    return this.close(id, 'CANCELLED', actor);
  }

  /** Expiry (timer job or sweeper): a no-op when the RFQ is already final or not yet due. */
  async expire(id: string): Promise<RfqView | null> {
    const now = this.clock.now();
    const rfq = await this.rfqs.findRfq(this.rfqs.db, id);
    if (!rfq || isFinalRfqState(rfq.state) || rfq.expiresAt > now) return rfq;
    return this.close(id, 'EXPIRED', { accountId: rfq.takerId, role: 'SYSTEM' }).catch((error: unknown) => {
      if (error instanceof RfqNotOpenError) return null;
      throw error;
    });
  }

  private async close(
    id: string,
    to: Extract<RfqState, 'CANCELLED' | 'EXPIRED'>,
    actor: Actor,
  ): Promise<RfqView> {
    return runInTransaction(this.rfqs.db, async (client) => {
      const rfq = await this.rfqs.lockRfq(client, id, 'UPDATE');
      if (!rfq) throw rfqNotFound(id);
      if (isFinalRfqState(rfq.state)) throw new RfqNotOpenError(id, rfq.state);
      if (to === 'EXPIRED' && rfq.expiresAt > this.clock.now()) throw new RfqNotOpenError(id, rfq.state);
      assertRfqTransition(rfq.state, to);
      const live = await this.rfqs.lockLiveQuotes(client, id);
      await this.rfqs.updateRfq(client, id, to, rfq.filledQuantity, true);
      await this.rfqs.setQuoteState(
        client,
        live.map((q) => q.id),
        'CANCELLED',
      );
      const after = { ...rfq, state: to };
      const correlationId = actor.correlationId ?? null;
      await this.outbox.append(client, [
        {
          type: `rfq.${to.toLowerCase()}`,
          aggregateType: 'rfq',
          aggregateId: id,
          payload: {
            ...rfqJson(after),
            takerId: rfq.takerId,
            routedToAll: rfq.routedToAll,
            makers: rfq.makers,
          },
          correlationId,
        },
        ...live.map((q) => ({
          type: 'quote.cancelled',
          aggregateType: 'quote',
          aggregateId: q.id,
          payload: {
            id: q.id,
            rfqId: id,
            makerId: q.makerId,
            takerId: rfq.takerId,
            state: 'CANCELLED',
            reason: `rfq ${to.toLowerCase()}`,
          },
          correlationId,
        })),
      ]);
      await this.audit.append(client, [
        {
          actorId: actor.role === 'SYSTEM' ? null : actor.accountId,
          action: `rfq.${to.toLowerCase()}`,
          entityType: 'rfq',
          entityId: id,
          before: { state: rfq.state },
          after: { state: to, quotesCancelled: live.map((q) => q.id) },
          correlationId,
        },
      ]);
      return { ...after, closedAt: this.clock.now() };
    });
  }

  async list(
    actor: Actor,
    filter: { states?: RfqState[]; before?: Date; limit: number },
  ): Promise<RfqView[]> {
    switch (actor.role) {
      case 'TAKER':
        return this.rfqs.listRfqs(this.rfqs.db, { ...filter, takerId: actor.accountId });
      case 'MAKER':
        return this.rfqs.listRfqs(this.rfqs.db, { ...filter, makerId: actor.accountId });
      case 'ADMIN':
      case 'SYSTEM':
        return this.rfqs.listRfqs(this.rfqs.db, filter);
    }
  }
}
