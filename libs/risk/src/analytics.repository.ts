import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import type { Pool } from 'pg';

export interface ScorecardRow {
  maker_id: string;
  maker: string;
  rfqs_routed: number;
  rfqs_quoted: number;
  response_rate: number | null;
  response_ms_p50: number | null;
  response_ms_p99: number | null;
  quotes: number;
  fills: number;
  quote_to_trade: number | null;
  rfqs_won: number;
  win_rate: number | null;
  best_price_rate: number | null;
  markout_1s: string | null;
  markout_10s: string | null;
  markout_60s: string | null;
}

/**
 * Analytics no venue gives its users: maker scorecards and takers' execution quality, computed in
 * SQL over the ledger's own records. Markouts are from the maker's side here (+ = good for the maker).
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async scorecards(filter: { makerId?: string; since: Date }): Promise<ScorecardRow[]> {
    const { rows } = await this.pool.query<ScorecardRow>(
      `WITH makers AS (SELECT id, name FROM accounts WHERE role = 'MAKER' AND ($1::uuid IS NULL OR id = $1)),
       routed AS (
         SELECT m.id AS maker_id, r.id AS rfq_id, r.created_at FROM makers m
           JOIN rfqs r ON r.created_at >= $2 AND (r.routed_to_all OR EXISTS (SELECT 1 FROM rfq_makers x WHERE x.rfq_id = r.id AND x.maker_id = m.id))),
       first_quote AS (
         SELECT q.maker_id, q.rfq_id, min(q.created_at) AS at, count(*) AS n FROM quotes q JOIN routed ro ON ro.rfq_id = q.rfq_id AND ro.maker_id = q.maker_id
          GROUP BY 1, 2),
       response AS (
         SELECT fq.maker_id, extract(epoch FROM fq.at - ro.created_at) * 1000 AS ms, fq.n
           FROM first_quote fq JOIN routed ro ON ro.rfq_id = fq.rfq_id AND ro.maker_id = fq.maker_id),
       fills_in AS (SELECT f.* FROM fills f WHERE f.created_at >= $2),
       best AS (
         -- Did the maker's quote carry the best price on that side among the quotes live at the fill?
         SELECT f.id AS fill_id, f.maker_id,
                (f.price = CASE WHEN f.side = 'BUY' THEN min(q.ask_price) ELSE max(q.bid_price) END) AS was_best
           FROM fills_in f JOIN quotes q ON q.rfq_id = f.rfq_id AND q.created_at <= f.created_at
                AND (q.closed_at IS NULL OR q.closed_at >= f.created_at OR q.id = f.quote_id)
          GROUP BY f.id, f.maker_id, f.price, f.side),
       mk AS (
         SELECT f.maker_id, m.horizon_seconds, sum(-m.taker_markout) AS total
           FROM fills_in f JOIN fill_markouts m ON m.fill_id = f.id GROUP BY 1, 2)
       SELECT m.id AS maker_id, m.name AS maker,
              (SELECT count(*)::int FROM routed ro WHERE ro.maker_id = m.id) AS rfqs_routed,
              (SELECT count(*)::int FROM first_quote fq WHERE fq.maker_id = m.id) AS rfqs_quoted,
              (SELECT count(*)::float FROM first_quote fq WHERE fq.maker_id = m.id) / nullif((SELECT count(*) FROM routed ro WHERE ro.maker_id = m.id), 0) AS response_rate,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM response r WHERE r.maker_id = m.id) AS response_ms_p50,
              (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FROM response r WHERE r.maker_id = m.id) AS response_ms_p99,
              (SELECT coalesce(sum(n), 0)::int FROM response r WHERE r.maker_id = m.id) AS quotes,
              (SELECT count(*)::int FROM fills_in f WHERE f.maker_id = m.id) AS fills,
              (SELECT coalesce(sum(n), 0)::float FROM response r WHERE r.maker_id = m.id) / nullif((SELECT count(*) FROM fills_in f WHERE f.maker_id = m.id), 0) AS quote_to_trade,
              (SELECT count(DISTINCT rfq_id)::int FROM fills_in f WHERE f.maker_id = m.id) AS rfqs_won,
              (SELECT count(DISTINCT rfq_id)::float FROM fills_in f WHERE f.maker_id = m.id) / nullif((SELECT count(*) FROM first_quote fq WHERE fq.maker_id = m.id), 0) AS win_rate,
              (SELECT avg(CASE WHEN was_best THEN 1.0 ELSE 0.0 END)::float FROM best b WHERE b.maker_id = m.id) AS best_price_rate,
              (SELECT total::text FROM mk WHERE mk.maker_id = m.id AND horizon_seconds = 1) AS markout_1s,
              (SELECT total::text FROM mk WHERE mk.maker_id = m.id AND horizon_seconds = 10) AS markout_10s,
              (SELECT total::text FROM mk WHERE mk.maker_id = m.id AND horizon_seconds = 60) AS markout_60s
         FROM makers m ORDER BY m.name`,
      [filter.makerId ?? null, filter.since],
    );
    return rows;
  }

  /**
   * A taker's execution quality per trade: price against theo at booking, against the best and
   * second-best quotes live at that moment (cover), and the cost of size (what the execution paid
   * beyond the best price across its fills).
   */
  async executionQuality(filter: { takerId?: string; since: Date; limit: number }) {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `WITH f AS (SELECT * FROM fills WHERE created_at >= $2 AND ($1::uuid IS NULL OR taker_id = $1) ORDER BY created_at DESC LIMIT $3),
       levels AS (
         SELECT f.id AS fill_id,
                CASE WHEN f.side = 'BUY' THEN q.ask_price ELSE q.bid_price END AS px,
                row_number() OVER (PARTITION BY f.id ORDER BY CASE WHEN f.side = 'BUY' THEN q.ask_price ELSE -q.bid_price END) AS rank
           FROM f JOIN quotes q ON q.rfq_id = f.rfq_id AND q.created_at <= f.created_at
                 AND (q.closed_at IS NULL OR q.closed_at >= f.created_at OR q.id = f.quote_id)
          WHERE CASE WHEN f.side = 'BUY' THEN q.ask_price ELSE q.bid_price END IS NOT NULL),
       exec AS (
         SELECT execution_id, min(price) AS min_px, max(price) AS max_px, sum(quantity) AS qty, sum(price * quantity) / sum(quantity) AS avg_px, min(side::text) AS side
           FROM f GROUP BY execution_id)
       SELECT f.id AS trade_id, f.rfq_id, f.side, f.quantity::text, f.price::text, f.created_at,
              m.theo::text AS theo_at_booking,
              CASE WHEN m.theo IS NULL THEN NULL ELSE ((m.theo - f.price) * CASE WHEN f.side = 'BUY' THEN 1 ELSE -1 END)::text END AS edge_vs_theo_per_unit,
              (SELECT px::text FROM levels l WHERE l.fill_id = f.id AND rank = 1) AS best_quote,
              (SELECT px::text FROM levels l WHERE l.fill_id = f.id AND rank = 2) AS second_best_quote,
              (SELECT (abs(px - f.price))::text FROM levels l WHERE l.fill_id = f.id AND rank = 2) AS cover_per_unit,
              (SELECT (CASE WHEN e.side = 'BUY' THEN e.avg_px - e.min_px ELSE e.max_px - e.avg_px END * e.qty)::text FROM exec e WHERE e.execution_id = f.execution_id) AS size_slippage_cost
         FROM f LEFT JOIN fill_markouts m ON m.fill_id = f.id AND m.horizon_seconds = 0
        ORDER BY f.created_at DESC`,
      [filter.takerId ?? null, filter.since, filter.limit],
    );
    return rows;
  }
}
