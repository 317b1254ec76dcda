import { Inject, Injectable } from '@nestjs/common';
import { Decimal, dec, isUuid } from '@app/core';
import { PG_POOL } from '@app/db';
import type { Pool, PoolClient } from 'pg';
import type { QuoteState, RfqState, Side } from './domain/index.js';
import type { LegView, QuoteSideView, QuoteView, RfqView } from './rfq.types.js';

type Db = Pool | PoolClient;

interface RfqRow {
  id: string;
  taker_id: string;
  client_rfq_id: string;
  quantity: string;
  filled_quantity: string;
  state: RfqState;
  disclosed: boolean;
  routed_to_all: boolean;
  auto_side: Side | null;
  auto_limit_price: string | null;
  auto_execute_at: Date | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  legs: Array<{ leg_index: number; instrument_id: string; instrument: string; side: Side; ratio: string }>;
  makers: string[] | null;
}

interface QuoteRow {
  id: string;
  rfq_id: string;
  maker_id: string;
  client_quote_id: string;
  bid_price: string | null;
  bid_quantity: string | null;
  bid_min_quantity: string | null;
  bid_filled: string;
  ask_price: string | null;
  ask_quantity: string | null;
  ask_min_quantity: string | null;
  ask_filled: string;
  state: QuoteState;
  valid_until: Date;
  replaces_id: string | null;
  cancel_on_disconnect: boolean;
  created_at: Date;
  updated_at: Date;
}

// The hot reads and writes below are named (prepared once per connection): PostgreSQL then skips
// parsing and planning them on every call.
const RFQ_SELECT = `
  SELECT r.*,
    (SELECT json_agg(json_build_object('leg_index', l.leg_index, 'instrument_id', l.instrument_id,
             'instrument', i.name, 'side', l.side, 'ratio', l.ratio::text) ORDER BY l.leg_index)
       FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = r.id) AS legs,
    (SELECT array_agg(m.maker_id::text ORDER BY m.maker_id) FROM rfq_makers m WHERE m.rfq_id = r.id) AS makers
  FROM rfqs r`;

function toRfq(row: RfqRow): RfqView {
  const legs: LegView[] = (row.legs ?? []).map((l) => ({
    legIndex: l.leg_index,
    instrumentId: l.instrument_id,
    instrument: l.instrument,
    side: l.side,
    ratio: dec(l.ratio),
  }));
  return {
    id: row.id,
    takerId: row.taker_id,
    clientRfqId: row.client_rfq_id,
    quantity: dec(row.quantity),
    filledQuantity: dec(row.filled_quantity),
    state: row.state,
    disclosed: row.disclosed,
    routedToAll: row.routed_to_all,
    makers: row.makers ?? [],
    legs,
    autoExecute:
      row.auto_side && row.auto_limit_price && row.auto_execute_at
        ? { side: row.auto_side, limitPrice: dec(row.auto_limit_price), at: row.auto_execute_at }
        : null,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}

function side(
  price: string | null,
  quantity: string | null,
  min: string | null,
  filled: string,
): QuoteSideView | null {
  if (price === null || quantity === null) return null;
  return {
    price: dec(price),
    quantity: dec(quantity),
    minQuantity: min === null ? null : dec(min),
    filled: dec(filled),
  };
}

export function toQuote(row: QuoteRow): QuoteView {
  return {
    id: row.id,
    rfqId: row.rfq_id,
    makerId: row.maker_id,
    clientQuoteId: row.client_quote_id,
    bid: side(row.bid_price, row.bid_quantity, row.bid_min_quantity, row.bid_filled),
    ask: side(row.ask_price, row.ask_quantity, row.ask_min_quantity, row.ask_filled),
    state: row.state,
    validUntil: row.valid_until,
    replacesId: row.replaces_id,
    cancelOnDisconnect: row.cancel_on_disconnect,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const str = (d: Decimal | null | undefined) => (d === null || d === undefined ? null : d.toFixed());

export interface NewRfq {
  id: string;
  takerId: string;
  clientRfqId: string;
  quantity: Decimal;
  disclosed: boolean;
  routedToAll: boolean;
  makers: string[];
  legs: Array<{ instrumentId: string; instrument: string; side: Side; ratio: Decimal }>;
  autoExecute: { side: Side; limitPrice: Decimal; at: Date } | null;
  expiresAt: Date;
  createdAt: Date;
  correlationId: string | null;
}

export interface NewQuote {
  id: string;
  rfqId: string;
  makerId: string;
  clientQuoteId: string;
  bid: { price: Decimal; quantity: Decimal; minQuantity: Decimal | null } | null;
  ask: { price: Decimal; quantity: Decimal; minQuantity: Decimal | null } | null;
  validUntil: Date;
  replacesId: string | null;
  cancelOnDisconnect: boolean;
  createdAt: Date;
}

/** RFQs and quotes: plain SQL on the shared pool, so that callers compose it into one transaction. */
@Injectable()
export class RfqRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /** Inserts the RFQ with its legs and maker list in one statement and returns it as stored. */
  async insertRfq(client: PoolClient, rfq: NewRfq): Promise<RfqView> {
    const { rows } = await client.query<Omit<RfqRow, 'legs' | 'makers'>>(
      `WITH r AS (
         INSERT INTO rfqs (id, taker_id, client_rfq_id, quantity, disclosed, routed_to_all, auto_side, auto_limit_price,
                           auto_execute_at, expires_at, created_at, updated_at, correlation_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11,$12) RETURNING *),
       l AS (
         INSERT INTO rfq_legs (rfq_id, leg_index, instrument_id, side, ratio)
         SELECT $1, ord - 1, l.instrument_id, l.side::"Side", l.ratio
           FROM unnest($13::uuid[], $14::text[], $15::numeric[]) WITH ORDINALITY AS l(instrument_id, side, ratio, ord)),
       m AS (INSERT INTO rfq_makers (rfq_id, maker_id) SELECT $1, unnest($16::uuid[]))
       SELECT * FROM r`,
      [
        rfq.id,
        rfq.takerId,
        rfq.clientRfqId,
        rfq.quantity.toFixed(),
        rfq.disclosed,
        rfq.routedToAll,
        rfq.autoExecute?.side ?? null,
        str(rfq.autoExecute?.limitPrice),
        rfq.autoExecute?.at ?? null,
        rfq.expiresAt,
        rfq.createdAt,
        rfq.correlationId,
        rfq.legs.map((l) => l.instrumentId),
        rfq.legs.map((l) => l.side),
        rfq.legs.map((l) => l.ratio.toFixed()),
        rfq.makers,
      ],
    );
    return toRfq({
      ...rows[0]!,
      legs: rfq.legs.map((l, i) => ({
        leg_index: i,
        instrument_id: l.instrumentId,
        instrument: l.instrument,
        side: l.side,
        ratio: l.ratio.toFixed(),
      })),
      makers: rfq.makers.length > 0 ? [...rfq.makers].sort() : null,
    });
  }

  async findRfq(db: Db, id: string): Promise<RfqView | null> {
    const { rows } = await db.query<RfqRow>({
      name: 'rfq-by-id',
      text: `${RFQ_SELECT} WHERE r.id = $1`,
      values: [id],
    });
    return rows[0] ? toRfq(rows[0]) : null;
  }

  async findRfqByClientId(db: Db, takerId: string, clientRfqId: string): Promise<RfqView | null> {
    const { rows } = await db.query<RfqRow>({
      name: 'rfq-by-client-id',
      text: `${RFQ_SELECT} WHERE r.taker_id = $1 AND r.client_rfq_id = $2`,
      values: [takerId, clientRfqId],
    });
    return rows[0] ? toRfq(rows[0]) : null;
  }

  /** Locks the RFQ row (FOR UPDATE: fills, cancel, expiry; FOR SHARE: new quotes) and reads it. */
  async lockRfq(client: PoolClient, id: string, mode: 'UPDATE' | 'SHARE'): Promise<RfqView | null> {
    const { rows } = await client.query<RfqRow>({
      name: `rfq-lock-${mode}`,
      text: `${RFQ_SELECT} WHERE r.id = $1 FOR ${mode} OF r`,
      values: [id],
    });
    return rows[0] ? toRfq(rows[0]) : null;
  }

  async listRfqs(
    db: Db,
    filter: { takerId?: string; makerId?: string; states?: RfqState[]; before?: Date; limit: number },
  ): Promise<RfqView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.takerId) where.push(`r.taker_id = $${params.push(filter.takerId)}`);
    if (filter.makerId) {
      const p = params.push(filter.makerId);
      where.push(
        `(r.routed_to_all OR EXISTS (SELECT 1 FROM rfq_makers m WHERE m.rfq_id = r.id AND m.maker_id = $${p}))`,
      );
    }
    if (filter.states?.length) where.push(`r.state = ANY($${params.push(filter.states)}::"RfqState"[])`);
    if (filter.before) where.push(`r.created_at < $${params.push(filter.before)}`);
    const sql = `${RFQ_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.push(filter.limit)}`;
    const { rows } = await db.query<RfqRow>(sql, params);
    return rows.map(toRfq);
  }

  async updateRfq(
    client: PoolClient,
    id: string,
    state: RfqState,
    filledQuantity: Decimal,
    closed: boolean,
  ): Promise<void> {
    await client.query(
      `UPDATE rfqs SET state = $2::"RfqState", filled_quantity = $3, updated_at = now(), closed_at = CASE WHEN $4 THEN now() ELSE closed_at END WHERE id = $1`,
      [id, state, filledQuantity.toFixed(), closed],
    );
  }

  async insertQuote(client: PoolClient, q: NewQuote): Promise<QuoteView> {
    const { rows } = await client.query<QuoteRow>({
      name: 'quote-insert',
      text: `INSERT INTO quotes (id, rfq_id, maker_id, client_quote_id, bid_price, bid_quantity, bid_min_quantity,
                           ask_price, ask_quantity, ask_min_quantity, valid_until, replaces_id, cancel_on_disconnect, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$14) RETURNING *`,
      values: [
        q.id,
        q.rfqId,
        q.makerId,
        q.clientQuoteId,
        str(q.bid?.price),
        str(q.bid?.quantity),
        str(q.bid?.minQuantity),
        str(q.ask?.price),
        str(q.ask?.quantity),
        str(q.ask?.minQuantity),
        q.validUntil,
        q.replacesId,
        q.cancelOnDisconnect,
        q.createdAt,
      ],
    });
    return toQuote(rows[0]!);
  }

  async findQuote(db: Db, id: string): Promise<QuoteView | null> {
    const { rows } = await db.query<QuoteRow>({
      name: 'quote-by-id',
      text: 'SELECT * FROM quotes WHERE id = $1',
      values: [id],
    });
    return rows[0] ? toQuote(rows[0]) : null;
  }

  async findQuoteByClientId(db: Db, makerId: string, clientQuoteId: string): Promise<QuoteView | null> {
    const { rows } = await db.query<QuoteRow>({
      name: 'quote-by-client-id',
      text: 'SELECT * FROM quotes WHERE maker_id = $1 AND client_quote_id = $2',
      values: [makerId, clientQuoteId],
    });
    return rows[0] ? toQuote(rows[0]) : null;
  }

  async lockQuote(client: PoolClient, id: string): Promise<QuoteView | null> {
    const { rows } = await client.query<QuoteRow>({
      name: 'quote-lock',
      text: 'SELECT * FROM quotes WHERE id = $1 FOR UPDATE',
      values: [id],
    });
    return rows[0] ? toQuote(rows[0]) : null;
  }

  /** Live quotes of an RFQ, locked in id order (one order everywhere: no deadlocks between fills). */
  async lockLiveQuotes(client: PoolClient, rfqId: string): Promise<QuoteView[]> {
    const { rows } = await client.query<QuoteRow>(
      `SELECT * FROM quotes WHERE rfq_id = $1 AND state = 'LIVE' ORDER BY id FOR UPDATE`,
      [rfqId],
    );
    return rows.map(toQuote);
  }

  async liveQuotes(db: Db, rfqId: string): Promise<QuoteView[]> {
    const { rows } = await db.query<QuoteRow>(
      `SELECT * FROM quotes WHERE rfq_id = $1 AND state = 'LIVE' AND valid_until > now()`,
      [rfqId],
    );
    return rows.map(toQuote);
  }

  async listQuotes(
    db: Db,
    filter: { makerId?: string; rfqId?: string; states?: QuoteState[]; limit: number },
  ): Promise<QuoteView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.makerId) where.push(`maker_id = $${params.push(filter.makerId)}`);
    if (filter.rfqId) where.push(`rfq_id = $${params.push(filter.rfqId)}`);
    if (filter.states?.length) where.push(`state = ANY($${params.push(filter.states)}::"QuoteState"[])`);
    const { rows } = await db.query<QuoteRow>(
      `SELECT * FROM quotes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map(toQuote);
  }

  async setQuoteState(client: PoolClient, ids: string[], state: QuoteState): Promise<void> {
    if (ids.length === 0) return;
    const closed = state !== 'LIVE';
    await client.query(
      `UPDATE quotes SET state = $2::"QuoteState", updated_at = now(), closed_at = CASE WHEN $3 THEN now() ELSE closed_at END WHERE id = ANY($1::uuid[])`,
      [ids, state, closed],
    );
  }

  async updateQuoteFill(
    client: PoolClient,
    id: string,
    bidFilled: Decimal,
    askFilled: Decimal,
    state: QuoteState,
  ): Promise<void> {
    await client.query(
      `UPDATE quotes SET bid_filled = $2, ask_filled = $3, state = $4::"QuoteState", updated_at = now(),
              closed_at = CASE WHEN $4::"QuoteState" <> 'LIVE' THEN now() ELSE closed_at END WHERE id = $1`,
      [id, bidFilled.toFixed(), askFilled.toFixed(), state],
    );
  }

  /** Ids of live quotes of a maker (optionally on one RFQ), locked for cancellation. */
  async lockLiveQuotesOfMaker(
    client: PoolClient,
    makerId: string,
    rfqId?: string,
    onlyCancelOnDisconnect = false,
    quoteIds?: string[],
  ): Promise<QuoteView[]> {
    const params: unknown[] = [makerId];
    let sql = `SELECT * FROM quotes WHERE maker_id = $1 AND state = 'LIVE'`;
    if (rfqId) sql += ` AND rfq_id = $${params.push(rfqId)}`;
    if (quoteIds) sql += ` AND id = ANY($${params.push(quoteIds)}::uuid[])`;
    if (onlyCancelOnDisconnect) sql += ' AND cancel_on_disconnect';
    const { rows } = await client.query<QuoteRow>(`${sql} ORDER BY id FOR UPDATE`, params);
    return rows.map(toQuote);
  }

  /** Open RFQs past their expiry (the sweeper's backstop for lost timer jobs). */
  async dueRfqs(db: Db, now: Date, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM rfqs WHERE state IN ('OPEN','PARTIALLY_FILLED') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async dueQuotes(db: Db, now: Date, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM quotes WHERE state = 'LIVE' AND valid_until <= $1 ORDER BY valid_until LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  /** RFQs whose auto-execution is due but has not run (state still open). */
  async dueAutoExecutions(db: Db, now: Date, limit: number): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id FROM rfqs WHERE state IN ('OPEN', 'PARTIALLY_FILLED') AND auto_execute_at IS NOT NULL AND auto_execute_at <= $1 AND expires_at > $1
        ORDER BY auto_execute_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  async accountRoles(
    db: Db,
    idsOrNames: string[],
  ): Promise<Array<{ id: string; name: string; role: string }>> {
    if (idsOrNames.length === 0) return [];
    const uuids = idsOrNames.filter((v) => isUuid(v));
    const { rows } = await db.query<{ id: string; name: string; role: string }>(
      `SELECT id, name, role FROM accounts WHERE name = ANY($1::text[]) OR id = ANY($2::uuid[])`,
      [idsOrNames, uuids],
    );
    return rows;
  }

  get db(): Pool {
    return this.pool;
  }
}
