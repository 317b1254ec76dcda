import { Injectable } from '@nestjs/common';
import { AppConfig, Decimal, DomainError, ZERO, dec } from '@app/core';
import { AuditRepository } from '@app/audit';
import { OutboxRepository } from '@app/events';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { BookingRepository } from './booking.repository.js';
import {
  applyTrade,
  mergePostings,
  type PositionState,
  type PostingLine,
  roundCash,
} from './domain/index.js';

/** A delta hedge to book: the maker trades a perpetual with the hedge venue at `price`. */
export interface NewHedge {
  makerId: string;
  instrument: { id: string; name: string; underlying: string; multiplier: Decimal };
  /** The maker's side. */
  side: 'BUY' | 'SELL';
  /** Contracts, positive. */
  quantity: Decimal;
  price: Decimal;
  /** Index the hedge was decided on; slippage is measured against it. */
  referencePrice: Decimal;
  slippageCost: Decimal;
  deltaBefore: Decimal;
  bandWidth: Decimal;
  /** Idempotency: one hedge per triggering event (unique). */
  triggerEventId: string;
  correlationId: string | null;
  now: Date;
}

export interface BookedHedge {
  id: string;
  journalEntryId: string;
  /** USDC the maker paid (negative: received). */
  cash: Decimal;
  postings: PostingLine[];
}

/** Advisory lock class (two-int form) that serialises the hedger per maker and underlying. */
const HEDGE_LOCK_CLASS = 7_402_003;

/**
 * Books hedges into the ledger the way fills are booked: a hedge order, a HEDGE journal entry whose
 * postings sum to zero per asset (the perpetual between the venue and the maker, USDC the other way),
 * positions by average cost (rows locked in BookingRepository's global order), balances, then the
 * outbox event and, last, the audit record. Everything in the caller's transaction.
 */
@Injectable()
export class HedgeBookingRepository {
  private venueId: string | null = null;

  constructor(
    private readonly booking: BookingRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditRepository,
    private readonly config: AppConfig,
  ) {}

  async venueAccountId(client: PoolClient): Promise<string> {
    this.venueId ??= await this.booking.accountIdByName(client, this.config.HEDGE_VENUE_ACCOUNT_NAME);
    if (!this.venueId)
      throw new DomainError(
        'SETTLEMENT.NO_HEDGE_VENUE',
        `hedge venue account ${this.config.HEDGE_VENUE_ACCOUNT_NAME} is missing (run the seed)`,
        'unavailable',
      );
    return this.venueId;
  }

  /**
   * Serialises hedging of one maker's underlying until the transaction ends, so two hedge jobs never
   * both trade the same delta away.
   */
  async lockHedger(client: PoolClient, makerId: string, underlying: string): Promise<void> {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      HEDGE_LOCK_CLASS,
      `${makerId}|${underlying}`,
    ]);
  }

  async hedgeExists(client: PoolClient, triggerEventId: string): Promise<boolean> {
    const { rows } = await client.query('SELECT 1 FROM hedge_orders WHERE trigger_event_id = $1', [
      triggerEventId,
    ]);
    return rows.length > 0;
  }

  /** The account's non-zero positions on one underlying (committed state). */
  async positionsOf(
    client: PoolClient,
    accountId: string,
    underlying: string,
  ): Promise<Array<{ instrumentId: string; quantity: Decimal }>> {
    const { rows } = await client.query<{ instrument_id: string; quantity: string }>(
      `SELECT p.instrument_id, p.quantity::text FROM positions p JOIN instruments i ON i.id = p.instrument_id
        WHERE p.account_id = $1 AND i.underlying = $2 AND p.quantity <> 0 ORDER BY p.instrument_id`,
      [accountId, underlying],
    );
    return rows.map((r) => ({ instrumentId: r.instrument_id, quantity: dec(r.quantity) }));
  }

  /** Books the hedge; null (and nothing written) when its trigger event already has one. */
  async bookHedge(client: PoolClient, hedge: NewHedge): Promise<BookedHedge | null> {
    if (!hedge.quantity.gt(0) || !hedge.price.gt(0))
      throw new DomainError(
        'SETTLEMENT.INVALID_HEDGE',
        'hedge quantity and price must be positive',
        'bad_request',
      );
    const venueId = await this.venueAccountId(client);
    const id = randomUUID();
    const inserted = await client.query(
      `INSERT INTO hedge_orders (id, maker_id, instrument_id, side, quantity, price, reference_price, slippage_cost,
                                 delta_before, band_width, trigger_event_id, created_at)
       VALUES ($1, $2, $3, $4::"Side", $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (trigger_event_id) DO NOTHING RETURNING id`,
      [
        id,
        hedge.makerId,
        hedge.instrument.id,
        hedge.side,
        hedge.quantity.toFixed(),
        hedge.price.toFixed(),
        hedge.referencePrice.toFixed(),
        hedge.slippageCost.toDecimalPlaces(12).toFixed(),
        hedge.deltaBefore.toDecimalPlaces(12).toFixed(),
        hedge.bandWidth.toDecimalPlaces(12).toFixed(),
        hedge.triggerEventId,
        hedge.now,
      ],
    );
    if (inserted.rowCount === 0) return null;

    const journalEntryId = randomUUID();
    await client.query(
      `INSERT INTO journal_entries (id, kind, hedge_id, description, created_at) VALUES ($1, 'HEDGE', $2, $3, $4)`,
      [
        journalEntryId,
        id,
        `delta hedge ${hedge.side} ${hedge.quantity.toFixed()} ${hedge.instrument.name}`,
        hedge.now,
      ],
    );
    const signed = hedge.side === 'BUY' ? hedge.quantity : hedge.quantity.neg();
    // What the maker pays for the contracts (negative when it sells them), at the cash scale of fills.
    const cash = roundCash(signed.mul(hedge.price).mul(hedge.instrument.multiplier));
    const postings = mergePostings([
      { accountId: hedge.makerId, assetCode: hedge.instrument.name, amount: signed },
      { accountId: venueId, assetCode: hedge.instrument.name, amount: signed.neg() },
      { accountId: hedge.makerId, assetCode: 'USDC', amount: cash.neg() },
      { accountId: venueId, assetCode: 'USDC', amount: cash },
    ]);
    await client.query(
      `INSERT INTO postings (journal_entry_id, account_id, asset_code, amount)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[])`,
      [
        postings.map(() => journalEntryId),
        postings.map((p) => p.accountId),
        postings.map((p) => p.assetCode),
        postings.map((p) => p.amount.toFixed()),
      ],
    );

    const positions = await this.booking.lockPositions(client, [
      { accountId: hedge.makerId, instrumentId: hedge.instrument.id },
      { accountId: venueId, instrumentId: hedge.instrument.id },
    ]);
    for (const [account, quantity] of [
      [hedge.makerId, signed],
      [venueId, signed.neg()],
    ] as const) {
      const key = `${account}|${hedge.instrument.id}`;
      const current: PositionState = positions.get(key) ?? {
        quantity: ZERO,
        costBasis: ZERO,
        realisedPnl: ZERO,
      };
      positions.set(
        key,
        applyTrade(current, { quantity, price: hedge.price, multiplier: hedge.instrument.multiplier }),
      );
    }
    await this.booking.savePositions(client, positions);
    await this.booking.addToBalances(
      client,
      new Map([
        [`${hedge.makerId}|USDC`, cash.neg()],
        [`${venueId}|USDC`, cash],
      ]),
    );

    const payload = {
      id,
      makerId: hedge.makerId,
      venueAccountId: venueId,
      instrument: hedge.instrument.name,
      underlying: hedge.instrument.underlying,
      side: hedge.side,
      quantity: hedge.quantity.toFixed(),
      price: hedge.price.toFixed(),
      referencePrice: hedge.referencePrice.toFixed(),
      slippageCost: hedge.slippageCost.toDecimalPlaces(12).toFixed(),
      deltaBefore: hedge.deltaBefore.toDecimalPlaces(12).toFixed(),
      bandWidth: hedge.bandWidth.toDecimalPlaces(12).toFixed(),
      triggerEventId: hedge.triggerEventId,
      journalEntryId,
      createdAt: hedge.now.toISOString(),
    };
    await this.outbox.append(client, [
      {
        type: 'hedge.booked',
        aggregateType: 'hedge_order',
        aggregateId: id,
        payload,
        correlationId: hedge.correlationId,
      },
    ]);
    await this.audit.append(client, [
      {
        actorId: null,
        action: 'hedge.booked',
        entityType: 'hedge_order',
        entityId: id,
        before: null,
        after: {
          ...payload,
          postings: postings.map((p) => ({
            accountId: p.accountId,
            asset: p.assetCode,
            amount: p.amount.toFixed(),
          })),
        },
        correlationId: hedge.correlationId,
      },
    ]);
    return { id, journalEntryId, cash, postings };
  }
}
