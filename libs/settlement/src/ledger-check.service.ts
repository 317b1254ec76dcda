import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import type { Pool } from 'pg';

export interface LedgerCheckProblem {
  check: string;
  message: string;
  rows: Array<Record<string, unknown>>;
}

export interface LedgerCheckReport {
  ok: boolean;
  checkedAt: string;
  counts: { fills: number; journalEntries: number; postings: number };
  problems: LedgerCheckProblem[];
}

const SAMPLE = 5;

/**
 * Recomputes the ledger from postings and checks every promise the platform makes about it. Each
 * check is one SQL query over the whole ledger and names the first offending rows.
 */
@Injectable()
export class LedgerCheckService {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  private readonly checks: Array<{ check: string; message: string; sql: string }> = [
    {
      check: 'asset-sum',
      message: 'postings of an asset do not sum to zero',
      sql: `SELECT asset_code, sum(amount)::text AS total FROM postings GROUP BY asset_code HAVING sum(amount) <> 0`,
    },
    {
      check: 'entry-sum',
      message: 'a journal entry does not balance per asset',
      sql: `SELECT journal_entry_id, asset_code, sum(amount)::text AS total FROM postings GROUP BY journal_entry_id, asset_code HAVING sum(amount) <> 0`,
    },
    {
      check: 'balances',
      message: 'a balance differs from the sum of its USDC postings',
      sql: `WITH p AS (SELECT account_id, asset_code, sum(amount) AS total FROM postings WHERE asset_code = 'USDC' GROUP BY 1, 2)
            SELECT coalesce(b.account_id, p.account_id) AS account_id, b.amount::text AS read_model, p.total::text AS postings
              FROM balances b FULL JOIN p ON p.account_id = b.account_id AND p.asset_code = b.asset_code
             WHERE coalesce(b.amount, 0) <> coalesce(p.total, 0)`,
    },
    {
      check: 'positions',
      message: 'a position differs from the sum of its instrument postings',
      sql: `WITH p AS (SELECT po.account_id, a.instrument_id, sum(po.amount) AS total
                       FROM postings po JOIN assets a ON a.code = po.asset_code WHERE a.kind = 'INSTRUMENT' GROUP BY 1, 2)
            SELECT coalesce(x.account_id, p.account_id) AS account_id, coalesce(x.instrument_id, p.instrument_id) AS instrument_id,
                   x.quantity::text AS read_model, p.total::text AS postings
              FROM positions x FULL JOIN p ON p.account_id = x.account_id AND p.instrument_id = x.instrument_id
             WHERE coalesce(x.quantity, 0) <> coalesce(p.total, 0)`,
    },
    {
      check: 'fill-journal',
      message: 'a fill has no journal entry',
      sql: `SELECT f.id AS fill_id FROM fills f LEFT JOIN journal_entries j ON j.fill_id = f.id WHERE j.id IS NULL`,
    },
    {
      check: 'fill-not-live',
      message: 'a fill was booked on a quote that was not live at booking time',
      sql: `SELECT id AS fill_id, quote_id, quote_state_at_booking, quote_valid_until_at_booking, created_at FROM fills
             WHERE quote_state_at_booking <> 'LIVE' OR quote_valid_until_at_booking <= created_at`,
    },
    {
      check: 'quote-overfill',
      message: 'a quote side was filled beyond its quantity, or its filled amount differs from its fills',
      sql: `WITH s AS (SELECT quote_id, sum(quantity) FILTER (WHERE side = 'SELL') AS bid, sum(quantity) FILTER (WHERE side = 'BUY') AS ask
                       FROM fills GROUP BY quote_id)
            SELECT q.id AS quote_id, q.bid_quantity::text, q.bid_filled::text, s.bid::text AS bid_fills, q.ask_quantity::text, q.ask_filled::text, s.ask::text AS ask_fills
              FROM quotes q LEFT JOIN s ON s.quote_id = q.id
             WHERE coalesce(s.bid, 0) <> q.bid_filled OR coalesce(s.ask, 0) <> q.ask_filled
                OR q.bid_filled > coalesce(q.bid_quantity, 0) OR q.ask_filled > coalesce(q.ask_quantity, 0)`,
    },
    {
      check: 'rfq-fill',
      message: "an RFQ's filled quantity differs from its fills or exceeds its quantity",
      sql: `WITH s AS (SELECT rfq_id, sum(quantity) AS total FROM fills GROUP BY rfq_id)
            SELECT r.id AS rfq_id, r.quantity::text, r.filled_quantity::text, s.total::text AS fills
              FROM rfqs r LEFT JOIN s ON s.rfq_id = r.id
             WHERE coalesce(s.total, 0) <> r.filled_quantity OR r.filled_quantity > r.quantity`,
    },
    {
      check: 'idempotency',
      message: 'one idempotency key produced more than one execution',
      sql: `SELECT i.account_id, i.key, count(DISTINCT f.execution_id) AS executions
              FROM idempotency_records i
              JOIN fills f ON f.execution_id::text = ((i.response_body #>> '{}')::jsonb ->> 'executionId')
             GROUP BY 1, 2 HAVING count(DISTINCT f.execution_id) > 1`,
    },
  ];

  async run(): Promise<LedgerCheckReport> {
    const problems: LedgerCheckProblem[] = [];
    for (const c of this.checks) {
      const { rows } = await this.pool.query<Record<string, unknown>>(`${c.sql} LIMIT ${SAMPLE}`);
      if (rows.length > 0) problems.push({ check: c.check, message: c.message, rows });
    }
    const counts = (
      await this.pool.query<{ fills: number; journal_entries: number; postings: number }>(
        `SELECT (SELECT count(*)::int FROM fills) AS fills, (SELECT count(*)::int FROM journal_entries) AS journal_entries,
                (SELECT count(*)::int FROM postings) AS postings`,
      )
    ).rows[0]!;
    return {
      ok: problems.length === 0,
      checkedAt: new Date().toISOString(),
      counts: { fills: counts.fills, journalEntries: counts.journal_entries, postings: counts.postings },
      problems,
    };
  }
}
