import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import { MarketDataService } from '@app/market-data';
import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import { rootLogger } from './logger.js';
import { instrument } from './metrics.js';
import { MonitoredQueues } from './monitored-queues.js';

/** Gauges are read at most this often, and only when scraped: a scrape storm costs nothing more. */
const REFRESH_MS = 5_000;
const RFQ_STATES = ['OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED'];
const QUOTE_STATES = ['LIVE', 'FILLED', 'CANCELLED', 'EXPIRED', 'REPLACED'];
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

interface Snapshot {
  ok: boolean;
  rfqs: Array<{ state: string; n: number }>;
  quotes: Array<{ state: string; n: number }>;
  outboxPending: number;
  outboxLagSeconds: number;
  confirmationsPending: number;
  confirmationsOldestSeconds: number;
  queues: Array<{ queue: string; counts: Record<string, number>; oldestWaitingSeconds: number }>;
}

const EMPTY: Snapshot = {
  ok: false,
  rfqs: [],
  quotes: [],
  outboxPending: 0,
  outboxLagSeconds: 0,
  confirmationsPending: 0,
  confirmationsOldestSeconds: 0,
  queues: [],
};

// Both counts walk the rfqs (state, expires_at) index and quotes (rfq_id, state): RFQs that expire(d)
// in the last 24 h or later, i.e. every live one and the recent history, never the whole table.
const RFQS_BY_STATE = `
  SELECT state::text AS state, count(*)::int AS n FROM rfqs
   WHERE state = ANY (enum_range(NULL::"RfqState")) AND expires_at > now() - interval '24 hours'
   GROUP BY state`;
const QUOTES_BY_STATE = `
  SELECT q.state::text AS state, count(*)::int AS n FROM rfqs r JOIN quotes q ON q.rfq_id = r.id
   WHERE r.state = ANY (enum_range(NULL::"RfqState")) AND r.expires_at > now() - interval '24 hours'
   GROUP BY q.state`;
const OUTBOX = `
  SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
    FROM outbox_events WHERE state = 'PENDING'`;
const CONFIRMATIONS = `
  SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
    FROM trade_confirmations WHERE state = 'PENDING'`;

/**
 * Platform-wide gauges, the same from every gateway (aggregate with max(), not sum()): RFQs and
 * quotes by state, outbox backlog and lag, undelivered confirmations, queue depths and the age of
 * the oldest waiting job, and the age of the market data this gateway prices with.
 */
@Injectable()
export class ClusterMetrics implements OnModuleInit {
  private last: Snapshot = EMPTY;
  private refreshing: Promise<Snapshot> | null = null;
  private refreshedAt = 0;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly monitored: MonitoredQueues,
    @Optional() private readonly market?: MarketDataService,
  ) {}

  onModuleInit(): void {
    const snapshot = () => this.snapshot();
    const market = this.market;
    const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Snapshot) => void) =>
      instrument(
        () =>
          new Gauge({
            name,
            help,
            labelNames,
            async collect() {
              const values = await snapshot();
              this.reset();
              fill(this, values);
            },
          }),
        name,
      );

    gauge('rfq_cluster_metrics_up', '1 when the last read of the platform gauges succeeded', [], (g, s) =>
      g.set(s.ok ? 1 : 0),
    );
    gauge('rfq_rfqs', 'RFQs by state (expiring within the last 24 h or later)', ['state'], (g, s) => {
      for (const state of RFQ_STATES) g.set({ state }, 0);
      for (const r of s.rfqs) g.set({ state: r.state }, r.n);
    });
    gauge(
      'rfq_quotes',
      'Quotes by state, on RFQs expiring within the last 24 h or later',
      ['state'],
      (g, s) => {
        for (const state of QUOTE_STATES) g.set({ state }, 0);
        for (const r of s.quotes) g.set({ state: r.state }, r.n);
      },
    );
    gauge('rfq_outbox_pending', 'Outbox events committed but not yet relayed', [], (g, s) =>
      g.set(s.outboxPending),
    );
    gauge('rfq_outbox_lag_seconds', 'Age of the oldest unrelayed outbox event (0 when none)', [], (g, s) =>
      g.set(s.outboxLagSeconds),
    );
    gauge('rfq_confirmations_pending', 'Trade confirmations not yet delivered to a socket', [], (g, s) =>
      g.set(s.confirmationsPending),
    );
    gauge(
      'rfq_confirmations_oldest_pending_seconds',
      'Age of the oldest undelivered trade confirmation (0 when none)',
      [],
      (g, s) => g.set(s.confirmationsOldestSeconds),
    );
    gauge('rfq_queue_jobs', 'BullMQ jobs by queue and state (all processes)', ['queue', 'state'], (g, s) => {
      for (const q of s.queues)
        for (const [state, n] of Object.entries(q.counts)) g.set({ queue: q.queue, state }, n);
    });
    gauge(
      'rfq_queue_oldest_waiting_seconds',
      'Age of the oldest job ready to run but not started, by queue (0 when none)',
      ['queue'],
      (g, s) => {
        for (const q of s.queues) g.set({ queue: q.queue }, q.oldestWaitingSeconds);
      },
    );
    instrument(
      () =>
        new Gauge({
          name: 'rfq_market_data_age_seconds',
          help: 'Age of the latest market data snapshot this process has, by underlying',
          labelNames: ['underlying'],
          collect() {
            this.reset();
            const now = Date.now();
            for (const u of market?.underlyings() ?? []) {
              const snapshot = market?.latest(u);
              if (snapshot) this.set({ underlying: u }, Math.max(0, now - snapshot.timestamp) / 1000);
            }
          },
        }),
      'rfq_market_data_age_seconds',
    );
    instrument(
      () =>
        new Gauge({
          name: 'rfq_market_data_fresh',
          help: '1 when the market data of an underlying is younger than MARKET_DATA_MAX_AGE_MS (quoting works), else 0',
          labelNames: ['underlying'],
          collect() {
            this.reset();
            for (const u of market?.underlyings() ?? []) {
              this.set({ underlying: u }, market?.isFresh(u) ? 1 : 0);
            }
          },
        }),
      'rfq_market_data_fresh',
    );
  }

  /** The latest values, read again when older than REFRESH_MS; the last good ones on failure. */
  snapshot(): Promise<Snapshot> {
    if (Date.now() - this.refreshedAt < REFRESH_MS) return Promise.resolve(this.last);
    this.refreshing ??= this.read()
      .then((s) => (this.last = s))
      .catch((error: unknown) => {
        rootLogger().warn({ err: error }, 'platform gauges: read failed');
        this.last = { ...this.last, ok: false };
        return this.last;
      })
      .finally(() => {
        this.refreshedAt = Date.now();
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async read(): Promise<Snapshot> {
    const client = await this.pool.connect();
    let rfqs, quotes, outbox, confirmations;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = 2000`);
      rfqs = await client.query<{ state: string; n: number }>(RFQS_BY_STATE);
      quotes = await client.query<{ state: string; n: number }>(QUOTES_BY_STATE);
      outbox = await client.query<{ n: number; age: number }>(OUTBOX);
      confirmations = await client.query<{ n: number; age: number }>(CONFIRMATIONS);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    const now = Date.now();
    const queues = await Promise.all(
      this.monitored.queues.map(async (queue) => {
        const [counts, oldest] = await Promise.all([
          queue.getJobCounts(...QUEUE_STATES),
          queue.getWaiting(0, 0),
        ]);
        const first = oldest[0];
        const ready = first ? first.timestamp + (first.delay ?? 0) : now;
        return { queue: queue.name, counts, oldestWaitingSeconds: Math.max(0, now - ready) / 1000 };
      }),
    );
    return {
      ok: true,
      rfqs: rfqs.rows,
      quotes: quotes.rows,
      outboxPending: outbox.rows[0]?.n ?? 0,
      outboxLagSeconds: outbox.rows[0]?.age ?? 0,
      confirmationsPending: confirmations.rows[0]?.n ?? 0,
      confirmationsOldestSeconds: confirmations.rows[0]?.age ?? 0,
      queues,
    };
  }
}
