import { Injectable } from '@nestjs/common';
import { Decimal, dec } from '@app/core';
import type { Pool, PoolClient } from 'pg';
import type { PositionState } from './domain/index.js';

export interface NewFill {
  id: string;
  rfqId: string;
  quoteId: string;
  takerId: string;
  makerId: string;
  side: 'BUY' | 'SELL';
  quantity: Decimal;
  price: Decimal;
  premium: Decimal;
  takerFee: Decimal;
  makerFee: Decimal;
  executionId: string;
  quoteStateAtBooking: string;
  quoteValidUntilAtBooking: Date;
  createdAt: Date;
  correlationId: string | null;
  trades: Array<{
    legIndex: number;
    instrumentId: string;
    side: 'BUY' | 'SELL';
    quantity: Decimal;
    price: Decimal;
  }>;
  journalEntryId: string;
  postings: Array<{ accountId: string; assetCode: string; amount: Decimal }>;
}

export interface FeeRates {
  makerFeeBps: Decimal;
  takerFeeBps: Decimal;
  feePerContract: Decimal;
}

/**
 * The rows of a booking, written with few multi-row statements: the whole booking is one
 * transaction, and its cost is dominated by round trips.
 */
@Injectable()
export class BookingRepository {
  async feeRates(client: PoolClient, accountIds: string[]): Promise<Map<string, FeeRates>> {
    const { rows } = await client.query<{
      id: string;
      maker_fee_bps: string;
      taker_fee_bps: string;
      fee_per_contract: string;
    }>('SELECT id, maker_fee_bps, taker_fee_bps, fee_per_contract FROM accounts WHERE id = ANY($1::uuid[])', [
      accountIds,
    ]);
    return new Map(
      rows.map((r) => [
        r.id,
        {
          makerFeeBps: dec(r.maker_fee_bps),
          takerFeeBps: dec(r.taker_fee_bps),
          feePerContract: dec(r.fee_per_contract),
        },
      ]),
    );
  }

  async accountIdByName(client: PoolClient, name: string): Promise<string | null> {
    const { rows } = await client.query<{ id: string }>('SELECT id FROM accounts WHERE name = $1', [name]);
    return rows[0]?.id ?? null;
  }

  async insertFills(client: PoolClient, fills: NewFill[]): Promise<void> {
    if (fills.length === 0) return;
    const cols = (pick: (f: NewFill) => unknown) => fills.map(pick);
    await client.query(
      `INSERT INTO fills (id, rfq_id, quote_id, taker_id, maker_id, side, quantity, price, premium, taker_fee, maker_fee,
                          execution_id, quote_state_at_booking, quote_valid_until_at_booking, created_at, correlation_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::"Side"[], $7::numeric[], $8::numeric[],
                            $9::numeric[], $10::numeric[], $11::numeric[], $12::uuid[], $13::"QuoteState"[], $14::timestamptz[],
                            $15::timestamptz[], $16::text[])`,
      [
        cols((f) => f.id),
        cols((f) => f.rfqId),
        cols((f) => f.quoteId),
        cols((f) => f.takerId),
        cols((f) => f.makerId),
        cols((f) => f.side),
        cols((f) => f.quantity.toFixed()),
        cols((f) => f.price.toFixed()),
        cols((f) => f.premium.toFixed()),
        cols((f) => f.takerFee.toFixed()),
        cols((f) => f.makerFee.toFixed()),
        cols((f) => f.executionId),
        cols((f) => f.quoteStateAtBooking),
        cols((f) => f.quoteValidUntilAtBooking),
        cols((f) => f.createdAt),
        cols((f) => f.correlationId),
      ],
    );
    const trades = fills.flatMap((f) => f.trades.map((t) => ({ ...t, fillId: f.id })));
    await client.query(
      `INSERT INTO trades (fill_id, leg_index, instrument_id, side, quantity, price)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::"Side"[], $5::numeric[], $6::numeric[])`,
      [
        trades.map((t) => t.fillId),
        trades.map((t) => t.legIndex),
        trades.map((t) => t.instrumentId),
        trades.map((t) => t.side),
        trades.map((t) => t.quantity.toFixed()),
        trades.map((t) => t.price.toFixed()),
      ],
    );
    await client.query(
      `INSERT INTO journal_entries (id, kind, fill_id, description, created_at)
       SELECT id, 'FILL', fill_id, 'fill', created_at FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS j(id, fill_id, created_at)`,
      [fills.map((f) => f.journalEntryId), fills.map((f) => f.id), fills.map((f) => f.createdAt)],
    );
    const postings = fills.flatMap((f) =>
      f.postings.map((p) => ({ ...p, journalEntryId: f.journalEntryId })),
    );
    await client.query(
      `INSERT INTO postings (journal_entry_id, account_id, asset_code, amount)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[])`,
      [
        postings.map((p) => p.journalEntryId),
        postings.map((p) => p.accountId),
        postings.map((p) => p.assetCode),
        postings.map((p) => p.amount.toFixed()),
      ],
    );
    await client.query(
      `INSERT INTO trade_confirmations (fill_id, account_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
      [fills.flatMap((f) => [f.id, f.id]), fills.flatMap((f) => [f.takerId, f.makerId])],
    );
  }

  /** Marks fill confirmations delivered (to a socket, or to a built-in maker's own worker). */
  async markConfirmationsDelivered(
    db: Pool | PoolClient,
    fillId: string,
    accountIds: string[],
  ): Promise<void> {
    if (accountIds.length === 0) return;
    await db.query(
      `UPDATE trade_confirmations SET state = 'DELIVERED', delivered_at = now()
        WHERE fill_id = $1 AND account_id = ANY($2::uuid[]) AND state = 'PENDING'`,
      [fillId, accountIds],
    );
  }

  /** Locks (creating when missing) position rows in one global order, so bookings never deadlock. */
  async lockPositions(
    client: PoolClient,
    keys: Array<{ accountId: string; instrumentId: string }>,
  ): Promise<Map<string, PositionState>> {
    const sorted = [...new Map(keys.map((k) => [`${k.accountId}|${k.instrumentId}`, k])).values()].sort(
      (a, b) =>
        a.accountId === b.accountId
          ? a.instrumentId < b.instrumentId
            ? -1
            : 1
          : a.accountId < b.accountId
            ? -1
            : 1,
    );
    const accounts = sorted.map((k) => k.accountId);
    const instruments = sorted.map((k) => k.instrumentId);
    await client.query(
      `INSERT INTO positions (account_id, instrument_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
      [accounts, instruments],
    );
    const { rows } = await client.query<{
      account_id: string;
      instrument_id: string;
      quantity: string;
      cost_basis: string;
      realised_pnl: string;
    }>(
      `SELECT p.account_id, p.instrument_id, p.quantity, p.cost_basis, p.realised_pnl
         FROM positions p JOIN unnest($1::uuid[], $2::uuid[]) AS k(a, i) ON p.account_id = k.a AND p.instrument_id = k.i
        ORDER BY p.account_id, p.instrument_id FOR UPDATE OF p`,
      [accounts, instruments],
    );
    return new Map(
      rows.map((r) => [
        `${r.account_id}|${r.instrument_id}`,
        { quantity: dec(r.quantity), costBasis: dec(r.cost_basis), realisedPnl: dec(r.realised_pnl) },
      ]),
    );
  }

  async savePositions(client: PoolClient, positions: Map<string, PositionState>): Promise<void> {
    const entries = [...positions.entries()];
    await client.query(
      `UPDATE positions p SET quantity = v.q, cost_basis = v.c, realised_pnl = v.r, updated_at = now()
         FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::numeric[], $5::numeric[]) AS v(a, i, q, c, r)
        WHERE p.account_id = v.a AND p.instrument_id = v.i`,
      [
        entries.map(([k]) => k.split('|')[0]),
        entries.map(([k]) => k.split('|')[1]),
        entries.map(([, p]) => p.quantity.toFixed()),
        entries.map(([, p]) => p.costBasis.toFixed()),
        entries.map(([, p]) => p.realisedPnl.toFixed()),
      ],
    );
  }

  /**
   * Adds to balances. Called last in the booking: the fee account's balance row is shared by all
   * bookings, so its lock is taken as late as possible to keep the serialised part short.
   */
  async addToBalances(client: PoolClient, deltas: Map<string, Decimal>): Promise<void> {
    const entries = [...deltas.entries()].filter(([, d]) => !d.isZero()).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) return;
    await client.query(
      `INSERT INTO balances (account_id, asset_code, amount)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::numeric[])
       ON CONFLICT (account_id, asset_code) DO UPDATE SET amount = balances.amount + EXCLUDED.amount, updated_at = now()`,
      [
        entries.map(([k]) => k.split('|')[0]),
        entries.map(([k]) => k.split('|')[1]),
        entries.map(([, d]) => d.toFixed()),
      ],
    );
  }
}
