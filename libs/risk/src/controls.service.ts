import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AuditRepository } from '@app/audit';
import { AppConfig, DomainError } from '@app/core';
import { PG_POOL, runInTransaction } from '@app/db';
import { OutboxRepository } from '@app/events';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';

const CONTROLS_CHANNEL = 'controls';
// How stale the cached kill switches may be if a change notification is lost.
const SNAPSHOT_TTL_MS = 1_000;

export type ControlScope = 'PLATFORM' | 'ACCOUNT' | 'UNDERLYING';

export interface ControlView {
  scope: ControlScope;
  target: string;
  frozen: boolean;
  reason: string;
  until: Date | null;
  actorId: string | null;
  updatedAt: Date;
}

interface Row {
  scope: ControlScope;
  target: string;
  frozen: boolean;
  reason: string;
  until: Date | null;
  actor_id: string | null;
  updated_at: Date;
}

const toView = (r: Row): ControlView => ({
  scope: r.scope,
  target: r.target,
  frozen: r.frozen,
  reason: r.reason,
  until: r.until,
  actorId: r.actor_id,
  updatedAt: r.updated_at,
});

export class FrozenError extends DomainError {
  constructor(scope: ControlScope, target: string, reason: string) {
    const what =
      scope === 'PLATFORM'
        ? 'the platform'
        : scope === 'ACCOUNT'
          ? `account ${target}`
          : `underlying ${target}`;
    super(`CONTROL.FROZEN_${scope}`, `${what} is frozen${reason ? `: ${reason}` : ''}`, 'conflict', [
      { message: reason, scope, target },
    ]);
  }
}

export function controlJson(c: ControlView) {
  return {
    scope: c.scope,
    target: c.target,
    frozen: c.frozen,
    reason: c.reason,
    until: c.until?.toISOString() ?? null,
    actorId: c.actorId,
    updatedAt: c.updatedAt.toISOString(),
  };
}

/**
 * Kill switches: an admin freezes one account, one underlying or the whole platform (optionally
 * until a time); market maker protection freezes a maker. Frozen means no new RFQs, quotes or
 * fills. Every change is audited with who, what, before and after.
 */
@Injectable()
export class ControlsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ControlsService.name);
  private snapshot: { rows: Row[]; at: number } | null = null;
  private loading: Promise<Row[]> | null = null;
  private generation = 0;
  private listener: pg.Client | null = null;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly audit: AuditRepository,
    private readonly outbox: OutboxRepository,
    private readonly config: AppConfig,
  ) {}

  /** Every process hears a change the moment it commits and drops its cached kill switches. */
  async onModuleInit(): Promise<void> {
    const listener = new pg.Client({ connectionString: this.config.DATABASE_URL });
    listener.on('notification', () => this.invalidate());
    listener.on('error', (error) => {
      this.logger.warn(`controls listener: ${error.message}`);
      this.invalidate();
      this.listener = null;
    });
    try {
      await listener.connect();
      await listener.query(`LISTEN ${CONTROLS_CHANNEL}`);
      this.listener = listener;
    } catch (error) {
      // The TTL alone then bounds staleness.
      this.logger.warn(`controls listener unavailable: ${String(error)}`);
      await listener.end().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
  }

  async list(): Promise<ControlView[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM controls ORDER BY scope, target');
    return rows.map(toView);
  }

  /**
   * Throws when any of the given scopes is frozen now; runs in the caller's transaction when given one.
   * This reads the table: the booking transaction uses it, so no fill ever passes a committed freeze.
   */
  async assertNotFrozen(
    db: Pool | PoolClient,
    accountIds: string[],
    underlyings: string[],
    now = new Date(),
  ): Promise<void> {
    const { rows } = await db.query<Row>(
      `SELECT * FROM controls WHERE frozen AND (until IS NULL OR until > $1)
         AND ((scope = 'PLATFORM') OR (scope = 'ACCOUNT' AND target = ANY($2::text[])) OR (scope = 'UNDERLYING' AND target = ANY($3::text[])))
       ORDER BY scope DESC LIMIT 1`,
      [now, accountIds, underlyings],
    );
    const hit = rows[0];
    if (hit) throw new FrozenError(hit.scope, hit.target, hit.reason);
  }

  /**
   * The same check against a cached snapshot of the frozen controls, for new RFQs and quotes: a
   * query fewer on the hottest paths. A change reaches every process by NOTIFY on commit (and the
   * snapshot expires after a second in any case); a quote that slips in during that window can
   * still never fill, because the booking transaction checks the table itself.
   */
  async assertNotFrozenCached(
    db: Pool | PoolClient,
    accountIds: string[],
    underlyings: string[],
    now = new Date(),
  ): Promise<void> {
    const rows = await this.frozenRows(db);
    const applies = (r: Row) =>
      (r.until === null || r.until > now) &&
      (r.scope === 'PLATFORM' ||
        (r.scope === 'ACCOUNT' && accountIds.includes(r.target)) ||
        (r.scope === 'UNDERLYING' && underlyings.includes(r.target)));
    const hit =
      rows.find((r) => r.scope === 'UNDERLYING' && applies(r)) ??
      rows.find((r) => r.scope === 'ACCOUNT' && applies(r)) ??
      rows.find((r) => r.scope === 'PLATFORM' && applies(r));
    if (hit) throw new FrozenError(hit.scope, hit.target, hit.reason);
  }

  /**
   * Inside a transaction, pass its client: a refresh then reads through it and waits for nothing
   * else. Transactions that waited on a pooled read (or on each other's) could hold every pooled
   * connection while that read waits for one: a deadlock.
   */
  private async frozenRows(db: Pool | PoolClient): Promise<Row[]> {
    if (this.snapshot && Date.now() - this.snapshot.at < SNAPSHOT_TTL_MS) return this.snapshot.rows;
    if ('release' in db) return this.load(db);
    this.loading ??= this.load(db).finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(db: Pool | PoolClient): Promise<Row[]> {
    const at = Date.now();
    const generation = this.generation;
    const { rows } = await db.query<Row>('SELECT * FROM controls WHERE frozen');
    // A change announced while this read was in flight may be missing from it: use it for the
    // caller, but do not keep it.
    if (generation === this.generation) this.snapshot = { rows, at };
    return rows;
  }

  private invalidate(): void {
    this.generation++;
    this.snapshot = null;
    this.loading = null;
  }

  async set(
    input: { scope: ControlScope; target: string; frozen: boolean; reason: string; until: Date | null },
    actorId: string | null,
    correlationId: string | null,
    client?: PoolClient,
  ): Promise<ControlView> {
    const target = input.scope === 'PLATFORM' ? '' : input.target;
    const work = async (c: PoolClient) => {
      const before = (
        await c.query<Row>('SELECT * FROM controls WHERE scope = $1 AND target = $2 FOR UPDATE', [
          input.scope,
          target,
        ])
      ).rows[0];
      const { rows } = await c.query<Row>(
        `INSERT INTO controls (scope, target, frozen, reason, until, actor_id, updated_at) VALUES ($1,$2,$3,$4,$5,$6,now())
         ON CONFLICT (scope, target) DO UPDATE SET frozen = EXCLUDED.frozen, reason = EXCLUDED.reason, until = EXCLUDED.until,
           actor_id = EXCLUDED.actor_id, updated_at = now()
         RETURNING *`,
        [input.scope, target, input.frozen, input.reason, input.until, actorId],
      );
      const after = toView(rows[0]!);
      await c.query(`SELECT pg_notify('${CONTROLS_CHANNEL}', '')`);
      await this.outbox.append(c, [
        {
          type: 'control.changed',
          aggregateType: 'control',
          aggregateId: `${input.scope}:${target}`,
          payload: { ...controlJson(after), makerId: input.scope === 'ACCOUNT' ? target : undefined },
          correlationId,
        },
      ]);
      await this.audit.append(c, [
        {
          actorId,
          action: input.frozen ? 'control.frozen' : 'control.unfrozen',
          entityType: 'control',
          entityId: `${input.scope}:${target}`,
          before: before ? controlJson(toView(before)) : null,
          after: controlJson(after),
          correlationId,
        },
      ]);
      return after;
    };
    const result = await (client ? work(client) : runInTransaction(this.pool, work));
    this.invalidate();
    return result;
  }
}
