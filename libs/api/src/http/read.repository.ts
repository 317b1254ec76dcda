import { isUuid } from '@app/core';
import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import type { Pool } from 'pg';

export interface TradeRow {
  id: string;
  rfq_id: string;
  quote_id: string;
  execution_id: string;
  taker_id: string;
  maker_id: string;
  side: string;
  quantity: string;
  price: string;
  premium: string;
  taker_fee: string;
  maker_fee: string;
  state: string;
  created_at: Date;
  legs: Array<{ instrument: string; side: string; quantity: string; price: string }>;
}

export interface Cursor {
  at: Date;
  id: string;
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !isUuid(id)) return null;
  return { at: new Date(at), id };
}

export interface AdminFilter {
  accountId?: string;
  instrument?: string;
  states?: string[];
  from?: Date;
  to?: Date;
  cursor?: Cursor | null;
  limit: number;
}

const TRADE_SELECT = `
  SELECT f.*, (SELECT json_agg(json_build_object('instrument', i.name, 'side', t.side, 'quantity', t.quantity::text,
                 'price', t.price::text) ORDER BY t.leg_index)
                 FROM trades t JOIN instruments i ON i.id = t.instrument_id WHERE t.fill_id = f.id) AS legs
    FROM fills f`;

/** Read side of the API: trades, positions and the admins' filtered, cursor-paged lists. */
@Injectable()
export class ReadRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  private where(filter: AdminFilter, table: 'f' | 'r' | 'q', accountColumns: string[]) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.accountId) {
      const p = params.push(filter.accountId);
      where.push(`(${accountColumns.map((c) => `${table}.${c} = $${p}`).join(' OR ')})`);
    }
    if (filter.states?.length)
      where.push(`${table}.state::text = ANY($${params.push(filter.states)}::text[])`);
    if (filter.from) where.push(`${table}.created_at >= $${params.push(filter.from)}`);
    if (filter.to) where.push(`${table}.created_at < $${params.push(filter.to)}`);
    if (filter.cursor) {
      const a = params.push(filter.cursor.at);
      const b = params.push(filter.cursor.id);
      where.push(`(${table}.created_at, ${table}.id) < ($${a}, $${b}::uuid)`);
    }
    return { where, params };
  }

  async trades(filter: AdminFilter): Promise<TradeRow[]> {
    const { where, params } = this.where(filter, 'f', ['taker_id', 'maker_id']);
    if (filter.instrument) {
      where.push(
        `EXISTS (SELECT 1 FROM trades t JOIN instruments i ON i.id = t.instrument_id WHERE t.fill_id = f.id AND i.name = $${params.push(filter.instrument)})`,
      );
    }
    const { rows } = await this.pool.query<TradeRow>(
      `${TRADE_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY f.created_at DESC, f.id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows;
  }

  async trade(id: string): Promise<TradeRow | null> {
    const { rows } = await this.pool.query<TradeRow>(`${TRADE_SELECT} WHERE f.id = $1`, [id]);
    return rows[0] ?? null;
  }

  async rfqIds(filter: AdminFilter): Promise<string[]> {
    const { where, params } = this.where(filter, 'r', ['taker_id']);
    if (filter.instrument) {
      where.push(
        `EXISTS (SELECT 1 FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = r.id AND i.name = $${params.push(filter.instrument)})`,
      );
    }
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT r.id FROM rfqs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map((r) => r.id);
  }

  async quoteIds(filter: AdminFilter): Promise<string[]> {
    const { where, params } = this.where(filter, 'q', ['maker_id']);
    if (filter.instrument) {
      where.push(
        `EXISTS (SELECT 1 FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = q.rfq_id AND i.name = $${params.push(filter.instrument)})`,
      );
    }
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT q.id FROM quotes q ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY q.created_at DESC, q.id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map((r) => r.id);
  }

  async positions(accountId: string) {
    const { rows } = await this.pool.query<{
      instrument: string;
      instrument_id: string;
      underlying: string;
      quantity: string;
      cost_basis: string;
      realised_pnl: string;
      updated_at: Date;
    }>(
      `SELECT i.name AS instrument, i.id AS instrument_id, i.underlying, p.quantity::text, p.cost_basis::text, p.realised_pnl::text, p.updated_at
         FROM positions p JOIN instruments i ON i.id = p.instrument_id
        WHERE p.account_id = $1 AND (p.quantity <> 0 OR p.realised_pnl <> 0) ORDER BY i.name`,
      [accountId],
    );
    return rows;
  }

  async balances(accountId: string) {
    const { rows } = await this.pool.query<{ asset_code: string; amount: string }>(
      'SELECT asset_code, amount::text FROM balances WHERE account_id = $1 ORDER BY asset_code',
      [accountId],
    );
    return rows;
  }

  async accountIdByName(nameOrId: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM accounts WHERE name = $1 OR id::text = $1`,
      [nameOrId],
    );
    return rows[0]?.id ?? null;
  }
}
