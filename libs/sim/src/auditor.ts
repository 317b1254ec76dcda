import type { Pool } from 'pg';
import { EVENT_ROUTES, QUEUES } from '@app/core';

export interface Violation {
  check: string;
  detail: string;
}

/**
 * The auditor's invariants, each one SQL query returning one row per offending entity. Times are
 * compared only where the engine writes the fake clock (rfqs.created_at / expires_at /
 * auto_execute_at, quotes.created_at / valid_until, fills.created_at and the quote evidence on
 * fills); columns PostgreSQL stamps with now() (updated_at, closed_at, published_at...) are wall
 * clock and are only tested for null-ness. Ordering between a fill and the end of its quote is
 * taken from the audit log's seq, which is commit order (appends hold one advisory lock).
 * `$1` is the simulated now.
 */
export const INVARIANTS: Array<{ check: string; sql: string }> = [
  {
    check: 'asset-sum',
    sql: `SELECT asset_code || ' sums to ' || sum(amount) FROM postings GROUP BY asset_code HAVING sum(amount) <> 0`,
  },
  {
    check: 'entry-sum',
    sql: `SELECT 'journal ' || journal_entry_id || ' ' || asset_code || ' sums to ' || sum(amount)
            FROM postings GROUP BY journal_entry_id, asset_code HAVING sum(amount) <> 0`,
  },
  {
    check: 'balance-equals-postings',
    sql: `WITH p AS (SELECT po.account_id, po.asset_code, sum(po.amount) AS total FROM postings po
                       JOIN assets a ON a.code = po.asset_code WHERE a.kind = 'CURRENCY' GROUP BY 1, 2)
          SELECT 'account ' || coalesce(b.account_id, p.account_id) || ' ' || coalesce(b.asset_code, p.asset_code)
                 || ' balance ' || coalesce(b.amount::text, 'none') || ' postings ' || coalesce(p.total::text, 'none')
            FROM balances b FULL JOIN p ON p.account_id = b.account_id AND p.asset_code = b.asset_code
           WHERE coalesce(b.amount, 0) <> coalesce(p.total, 0)`,
  },
  {
    check: 'balance-is-currency',
    sql: `SELECT 'balance row in ' || b.asset_code FROM balances b JOIN assets a ON a.code = b.asset_code WHERE a.kind <> 'CURRENCY'`,
  },
  {
    check: 'position-equals-postings',
    sql: `WITH p AS (SELECT po.account_id, a.instrument_id, sum(po.amount) AS total FROM postings po
                       JOIN assets a ON a.code = po.asset_code WHERE a.kind = 'INSTRUMENT' GROUP BY 1, 2)
          SELECT 'account ' || coalesce(x.account_id, p.account_id) || ' instrument ' || coalesce(x.instrument_id, p.instrument_id)
                 || ' position ' || coalesce(x.quantity::text, 'none') || ' postings ' || coalesce(p.total::text, 'none')
            FROM positions x FULL JOIN p ON p.account_id = x.account_id AND p.instrument_id = x.instrument_id
           WHERE coalesce(x.quantity, 0) <> coalesce(p.total, 0)`,
  },
  {
    check: 'fill-evidence-live',
    sql: `SELECT 'fill ' || id || ' booked on a ' || quote_state_at_booking || ' quote valid until '
                 || quote_valid_until_at_booking || ' at ' || created_at
            FROM fills WHERE quote_state_at_booking <> 'LIVE' OR quote_valid_until_at_booking <= created_at`,
  },
  {
    check: 'fill-within-quote-and-rfq-life',
    sql: `SELECT 'fill ' || f.id || ' at ' || f.created_at || ': quote ' || q.id || ' ' || q.created_at || '..' || q.valid_until
                 || ', rfq ' || r.id || ' ' || r.created_at || '..' || r.expires_at
            FROM fills f JOIN quotes q ON q.id = f.quote_id JOIN rfqs r ON r.id = f.rfq_id
           WHERE q.rfq_id <> f.rfq_id OR f.created_at < q.created_at OR f.created_at >= q.valid_until
              OR f.quote_valid_until_at_booking <> q.valid_until
              OR f.created_at < r.created_at OR f.created_at >= r.expires_at OR f.created_at > $1`,
  },
  {
    check: 'fill-parties-and-price',
    sql: `SELECT 'fill ' || f.id || ' ' || f.side || ' ' || f.price || ' on quote bid ' || coalesce(q.bid_price::text, '-')
                 || ' ask ' || coalesce(q.ask_price::text, '-')
            FROM fills f JOIN quotes q ON q.id = f.quote_id JOIN rfqs r ON r.id = f.rfq_id
           WHERE f.maker_id <> q.maker_id OR f.taker_id <> r.taker_id OR f.quantity <= 0
              OR NOT ((f.side = 'BUY' AND f.price = q.ask_price) OR (f.side = 'SELL' AND f.price = q.bid_price))`,
  },
  {
    check: 'fill-after-quote-ended',
    sql: `WITH ended AS (
            SELECT entity_id AS quote_id, min(seq) AS seq FROM audit_log
             WHERE entity_type = 'quote' AND action IN ('quote.cancelled', 'quote.expired', 'quote.replaced') GROUP BY 1
            UNION ALL
            SELECT c.value, a.seq FROM audit_log a CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(a.after -> 'quotesCancelled', '[]'::jsonb)) AS c(value)
             WHERE a.action IN ('rfq.cancelled', 'rfq.expired'))
          SELECT 'fill ' || f.id || ' (audit seq ' || b.seq || ') on quote ' || f.quote_id || ' ended at audit seq ' || e.seq
            FROM fills f JOIN audit_log b ON b.action = 'fill.booked' AND b.entity_id = f.id::text
            JOIN ended e ON e.quote_id = f.quote_id::text WHERE b.seq > e.seq`,
  },
  {
    check: 'fill-legs',
    sql: `WITH t AS (
            SELECT t.fill_id, count(*) AS n,
                   sum(CASE WHEN l.side = 'BUY' THEN 1 ELSE -1 END * l.ratio * t.price) AS net,
                   bool_and(t.price >= 0) AS nonneg, bool_and(t.quantity = f.quantity * l.ratio) AS qty_ok,
                   bool_and(t.side = CASE WHEN f.side = 'BUY' THEN l.side WHEN l.side = 'BUY' THEN 'SELL'::"Side" ELSE 'BUY'::"Side" END) AS side_ok,
                   bool_and(t.instrument_id = l.instrument_id) AS instrument_ok
              FROM trades t JOIN fills f ON f.id = t.fill_id JOIN rfq_legs l ON l.rfq_id = f.rfq_id AND l.leg_index = t.leg_index
             GROUP BY t.fill_id),
          legs AS (SELECT rfq_id, count(*) AS n FROM rfq_legs GROUP BY 1)
          SELECT 'fill ' || f.id || ' price ' || f.price || ' legs net ' || coalesce(t.net::text, 'none')
            FROM fills f JOIN legs ON legs.rfq_id = f.rfq_id LEFT JOIN t ON t.fill_id = f.id
           WHERE t.fill_id IS NULL OR t.n <> legs.n OR t.net <> f.price OR NOT t.nonneg OR NOT t.qty_ok OR NOT t.side_ok OR NOT t.instrument_ok`,
  },
  {
    check: 'fill-journal',
    sql: `SELECT 'fill ' || f.id || ' has ' || count(j.id) || ' journal entries' FROM fills f
            LEFT JOIN journal_entries j ON j.fill_id = f.id GROUP BY f.id HAVING count(j.id) <> 1`,
  },
  {
    check: 'fill-taker-cash',
    // The taker's USDC line of a fill is -(premium + fee) unless the taker is also the fee account.
    sql: `SELECT 'fill ' || f.id || ' taker USDC ' || coalesce(p.amount::text, 'none') || ' premium ' || f.premium || ' fee ' || f.taker_fee
            FROM fills f JOIN journal_entries j ON j.fill_id = f.id
            LEFT JOIN postings p ON p.journal_entry_id = j.id AND p.account_id = f.taker_id AND p.asset_code = 'USDC'
           WHERE coalesce(p.amount, 0) <> -(f.premium + f.taker_fee)`,
  },
  {
    check: 'quote-fill',
    sql: `WITH s AS (SELECT quote_id, sum(quantity) FILTER (WHERE side = 'SELL') AS bid, sum(quantity) FILTER (WHERE side = 'BUY') AS ask
                       FROM fills GROUP BY quote_id)
          SELECT 'quote ' || q.id || ' bid ' || coalesce(q.bid_filled::text, '-') || '/' || coalesce(q.bid_quantity::text, '-')
                 || ' (fills ' || coalesce(s.bid::text, '0') || ') ask ' || q.ask_filled || '/' || coalesce(q.ask_quantity::text, '-')
                 || ' (fills ' || coalesce(s.ask::text, '0') || ')'
            FROM quotes q LEFT JOIN s ON s.quote_id = q.id
           WHERE coalesce(s.bid, 0) <> q.bid_filled OR coalesce(s.ask, 0) <> q.ask_filled
              OR q.bid_filled > coalesce(q.bid_quantity, 0) OR q.ask_filled > coalesce(q.ask_quantity, 0)`,
  },
  {
    check: 'rfq-fill',
    sql: `WITH s AS (SELECT rfq_id, sum(quantity) AS total FROM fills GROUP BY rfq_id)
          SELECT 'rfq ' || r.id || ' filled ' || r.filled_quantity || ' of ' || r.quantity || ' fills ' || coalesce(s.total::text, '0')
            FROM rfqs r LEFT JOIN s ON s.rfq_id = r.id
           WHERE coalesce(s.total, 0) <> r.filled_quantity OR r.filled_quantity > r.quantity`,
  },
  {
    check: 'idempotency-one-execution-per-key',
    sql: `WITH rec AS (SELECT account_id, key, (response_body #>> '{}')::jsonb ->> 'executionId' AS exec
                         FROM idempotency_records WHERE response_status = 200)
          SELECT 'execution ' || exec || ' is the answer of ' || count(*) || ' keys' FROM rec GROUP BY exec HAVING count(*) > 1
          UNION ALL
          SELECT 'execution ' || f.execution_id || ' has fills from ' || count(DISTINCT f.rfq_id) || ' rfqs / ' || count(DISTINCT f.taker_id) || ' takers'
            FROM fills f GROUP BY f.execution_id HAVING count(DISTINCT f.rfq_id) > 1 OR count(DISTINCT f.taker_id) > 1
          UNION ALL
          SELECT 'fill ' || f.id || ' of execution ' || f.execution_id || ' has no idempotency record of its taker'
            FROM fills f WHERE NOT EXISTS (SELECT 1 FROM rec WHERE rec.exec = f.execution_id::text AND rec.account_id = f.taker_id)
          UNION ALL
          SELECT 'key ' || rec.key || ' answered execution ' || rec.exec || ' which booked nothing'
            FROM rec WHERE NOT EXISTS (SELECT 1 FROM fills f WHERE f.execution_id::text = rec.exec)`,
  },
  {
    check: 'idempotency-settled',
    sql: `SELECT 'key ' || key || ' left ' || state || ' status ' || coalesce(response_status::text, 'none')
            FROM idempotency_records WHERE state <> 'COMPLETED' OR response_status IS NULL OR response_body IS NULL`,
  },
  {
    check: 'rfq-state',
    sql: `SELECT 'rfq ' || id || ' ' || state || ' filled ' || filled_quantity || ' of ' || quantity
                 || CASE WHEN closed_at IS NULL THEN ' open' ELSE ' closed' END
            FROM rfqs WHERE NOT (
              (state = 'OPEN' AND filled_quantity = 0 AND closed_at IS NULL)
              OR (state = 'PARTIALLY_FILLED' AND filled_quantity > 0 AND filled_quantity < quantity AND closed_at IS NULL)
              OR (state = 'FILLED' AND filled_quantity = quantity AND closed_at IS NOT NULL)
              OR (state IN ('CANCELLED', 'EXPIRED') AND filled_quantity < quantity AND closed_at IS NOT NULL))
              OR quantity <= 0`,
  },
  {
    check: 'rfq-times',
    sql: `SELECT 'rfq ' || id || ' ' || state || ' created ' || created_at || ' expires ' || expires_at
                 || ' auto ' || coalesce(auto_execute_at::text, '-') || ' now ' || $1::timestamptz
            FROM rfqs WHERE expires_at <= created_at OR created_at > $1
              OR (auto_execute_at IS NOT NULL AND (auto_execute_at <= created_at OR auto_execute_at >= expires_at))
              OR (state = 'EXPIRED' AND expires_at > $1)`,
  },
  {
    check: 'quote-state',
    sql: `SELECT 'quote ' || q.id || ' ' || q.state || ' bid ' || q.bid_filled || '/' || coalesce(q.bid_quantity::text, '-')
                 || ' ask ' || q.ask_filled || '/' || coalesce(q.ask_quantity::text, '-')
                 || CASE WHEN q.closed_at IS NULL THEN ' open' ELSE ' closed' END
            FROM quotes q WHERE
              (q.state = 'FILLED') <> ((q.bid_quantity IS NULL OR q.bid_filled = q.bid_quantity) AND (q.ask_quantity IS NULL OR q.ask_filled = q.ask_quantity))
              OR (q.state = 'LIVE') <> (q.closed_at IS NULL)
              OR (q.bid_price IS NULL AND q.ask_price IS NULL)
              OR (q.bid_price IS NOT NULL AND q.ask_price IS NOT NULL AND q.bid_price >= q.ask_price)
              OR q.bid_min_quantity > q.bid_quantity OR q.ask_min_quantity > q.ask_quantity
              OR (q.bid_quantity IS NULL) <> (q.bid_price IS NULL) OR (q.ask_quantity IS NULL) <> (q.ask_price IS NULL)`,
  },
  {
    check: 'quote-on-rfq',
    sql: `SELECT 'quote ' || q.id || ' ' || q.state || ' ' || q.created_at || '..' || q.valid_until || ' on rfq ' || r.id || ' ' || r.state
                 || ' ' || r.created_at || '..' || r.expires_at
            FROM quotes q JOIN rfqs r ON r.id = q.rfq_id
           WHERE (q.state = 'LIVE' AND r.state IN ('FILLED', 'CANCELLED', 'EXPIRED'))
              OR q.created_at < r.created_at OR q.created_at >= r.expires_at OR q.created_at > $1
              OR q.valid_until <= q.created_at OR q.valid_until > r.expires_at
              OR (q.state = 'EXPIRED' AND q.valid_until > $1)
              OR greatest(q.bid_quantity, q.ask_quantity) > r.quantity
              OR (NOT r.routed_to_all AND NOT EXISTS (SELECT 1 FROM rfq_makers m WHERE m.rfq_id = r.id AND m.maker_id = q.maker_id))`,
  },
  {
    check: 'quote-replacement',
    sql: `SELECT 'quote ' || o.id || ' ' || o.state || ' replacement ' || coalesce(n.id::text, 'none')
            FROM quotes o LEFT JOIN quotes n ON n.replaces_id = o.id
           WHERE (o.state = 'REPLACED') <> (n.id IS NOT NULL)
              OR n.rfq_id <> o.rfq_id OR n.maker_id <> o.maker_id OR n.created_at < o.created_at`,
  },
  {
    check: 'outbox-one-event-each',
    sql: `SELECT 'fill ' || f.id || ' has ' || count(o.id) || ' fill.booked events' FROM fills f
            LEFT JOIN outbox_events o ON o.type = 'fill.booked' AND o.aggregate_id = f.id::text GROUP BY f.id HAVING count(o.id) <> 1
          UNION ALL
          SELECT 'rfq ' || r.id || ' has ' || count(o.id) || ' rfq.created events' FROM rfqs r
            LEFT JOIN outbox_events o ON o.type = 'rfq.created' AND o.aggregate_id = r.id::text GROUP BY r.id HAVING count(o.id) <> 1
          UNION ALL
          SELECT 'quote ' || q.id || ' has ' || count(o.id) || ' quote.created events' FROM quotes q
            LEFT JOIN outbox_events o ON o.type = 'quote.created' AND o.aggregate_id = q.id::text GROUP BY q.id HAVING count(o.id) <> 1`,
  },
  {
    check: 'audit-one-record-each',
    sql: `SELECT 'fill ' || f.id || ' has ' || count(a.seq) || ' fill.booked audit records' FROM fills f
            LEFT JOIN audit_log a ON a.action = 'fill.booked' AND a.entity_id = f.id::text GROUP BY f.id HAVING count(a.seq) <> 1
          UNION ALL
          SELECT 'audit fill.booked ' || a.entity_id || ' without a fill' FROM audit_log a
           WHERE a.action = 'fill.booked' AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.id::text = a.entity_id)`,
  },
];

/** The frozen state the simulation believes in: nothing may be created or filled under it. */
export interface FrozenState {
  platform: boolean;
  accounts: string[];
  underlyings: string[];
}

const FROZEN_SQL = `
  WITH frozen_fill AS (
    SELECT f.id, f.taker_id, f.maker_id, array_agg(DISTINCT i.underlying) AS underlyings
      FROM fills f JOIN trades t ON t.fill_id = f.id JOIN instruments i ON i.id = t.instrument_id
     WHERE f.created_at = $1 GROUP BY f.id)
  SELECT 'fill ' || id || ' booked while frozen' FROM frozen_fill
   WHERE $2 OR taker_id::text = ANY($3) OR maker_id::text = ANY($3) OR underlyings && $4::text[]
  UNION ALL
  SELECT 'rfq ' || r.id || ' created while frozen' FROM rfqs r
   WHERE r.created_at = $1 AND ($2 OR r.taker_id::text = ANY($3) OR EXISTS (
     SELECT 1 FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = r.id AND i.underlying = ANY($4)))
  UNION ALL
  SELECT 'quote ' || q.id || ' created while frozen' FROM quotes q
   WHERE q.created_at = $1 AND ($2 OR q.maker_id::text = ANY($3) OR EXISTS (
     SELECT 1 FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = q.rfq_id AND i.underlying = ANY($4)))`;

export interface AuditorStats {
  runs: number;
  checks: number;
}

/** Runs every invariant after a step; extra liveness checks after a sweep or a relay drain. */
export class Auditor {
  readonly stats: AuditorStats = { runs: 0, checks: 0 };
  private readonly sql: string;

  constructor(private readonly pool: Pool) {
    this.sql = INVARIANTS.map(
      (inv) => `SELECT ${quote(inv.check)}::text AS check, d.detail::text FROM (${inv.sql}) AS d(detail)`,
    ).join('\nUNION ALL\n');
  }

  async check(now: Date, frozen: FrozenState): Promise<Violation[]> {
    this.stats.runs++;
    this.stats.checks += INVARIANTS.length + 1;
    // A named (prepared) statement: planned once per connection instead of on every step.
    const { rows } = await this.pool.query<{ check: string; detail: string }>({
      name: 'sim-auditor-invariants',
      text: `${this.sql} LIMIT 20`,
      values: [now],
    });
    const violations = rows.map((r) => ({ check: r.check, detail: r.detail }));
    if (frozen.platform || frozen.accounts.length > 0 || frozen.underlyings.length > 0) {
      const f = await this.pool.query<{ detail: string }>(
        `SELECT d.detail::text AS detail FROM (${FROZEN_SQL}) AS d(detail) LIMIT 20`,
        [now, frozen.platform, frozen.accounts, frozen.underlyings],
      );
      violations.push(...f.rows.map((r) => ({ check: 'kill-switch', detail: r.detail })));
    }
    return violations;
  }

  /** After a full sweep at `now`: nothing due may be left open. */
  async afterSweep(now: Date): Promise<Violation[]> {
    this.stats.checks += 3;
    const { rows } = await this.pool.query<{ check: string; detail: string }>(
      `SELECT 'sweep-rfq-expiry' AS check, 'rfq ' || id || ' ' || state || ' expired at ' || expires_at AS detail
         FROM rfqs WHERE state IN ('OPEN', 'PARTIALLY_FILLED') AND expires_at <= $1
       UNION ALL
       SELECT 'sweep-quote-expiry', 'quote ' || id || ' LIVE past ' || valid_until FROM quotes WHERE state = 'LIVE' AND valid_until <= $1
       UNION ALL
       SELECT 'sweep-auto-execute', 'rfq ' || r.id || ' auto-execution due at ' || r.auto_execute_at || ' never ran'
         FROM rfqs r WHERE r.state = 'OPEN' AND r.auto_execute_at <= $1 AND r.expires_at > $1
          AND NOT EXISTS (SELECT 1 FROM idempotency_records i WHERE i.account_id = r.taker_id AND i.key = 'auto-execute:' || r.id)
       LIMIT 20`,
      [now],
    );
    return rows;
  }

  /**
   * After a relay drain: every event published, and each event routed to the durable events queue
   * (`EVENT_ROUTES`: fills) on it exactly once.
   */
  async afterRelay(queued: number): Promise<Violation[]> {
    this.stats.checks += 2;
    const routed = Object.entries(EVENT_ROUTES)
      .filter(([, queues]) => queues.includes(QUEUES.events))
      .map(([type]) => type);
    const { rows } = await this.pool.query<{ pending: number; published: number }>(
      `SELECT count(*) FILTER (WHERE state = 'PENDING')::int AS pending,
              count(*) FILTER (WHERE state = 'PUBLISHED' AND type = ANY($1::text[]))::int AS published
         FROM outbox_events`,
      [routed],
    );
    const { pending, published } = rows[0]!;
    const out: Violation[] = [];
    if (pending > 0)
      out.push({ check: 'relay-drained', detail: `${pending} events still pending after a drain` });
    if (published !== queued)
      out.push({
        check: 'relay-exactly-once',
        detail: `${published} events routed to the events queue published but ${queued} jobs on it`,
      });
    return out;
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
