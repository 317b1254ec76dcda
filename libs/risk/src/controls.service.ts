import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository } from '@app/audit';
import { DomainError } from '@app/core';
import { PG_POOL, runInTransaction } from '@app/db';
import { OutboxRepository } from '@app/events';
import type { Pool, PoolClient } from 'pg';

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
export class ControlsService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly audit: AuditRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async list(): Promise<ControlView[]> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM controls ORDER BY scope, target');
    return rows.map(toView);
  }

  /** Throws when any of the given scopes is frozen now; runs in the caller's transaction when given one. */
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
    return client ? work(client) : runInTransaction(this.pool, work);
  }
}
