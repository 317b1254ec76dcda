import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { AuditRepository } from '@app/audit';
import { dec, DomainError, NotFoundError, isUuid } from '@app/core';
import { PG_POOL } from '@app/db';
import { QuoteService } from '@app/rfq';
import { ControlsService, controlJson } from '@app/risk';
import type { Pool } from 'pg';
import { z } from 'zod';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import { jsonSchema, parse } from './validation.js';

const controlSchema = z.strictObject({
  scope: z.enum(['PLATFORM', 'ACCOUNT', 'UNDERLYING']),
  target: z.string().max(64).optional(),
  reason: z.string().max(200).default(''),
  forSeconds: z.number().int().min(1).max(31_536_000).optional(),
});

const auditQuery = z.strictObject({
  entityType: z.string().max(40).optional(),
  entityId: z.string().max(80).optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(60).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const adminOnly = (p: Principal) => {
  if (p.role !== 'ADMIN') throw new DomainError('AUTH.NOT_ADMIN', 'admins only', 'forbidden');
};

@ApiTags('admins')
@Controller('v1/admin')
export class AdminControlsController {
  constructor(
    private readonly controls: ControlsService,
    private readonly quotes: QuoteService,
    private readonly audit: AuditRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  private async resolveTarget(
    scope: 'PLATFORM' | 'ACCOUNT' | 'UNDERLYING',
    target: string | undefined,
  ): Promise<string> {
    if (scope === 'PLATFORM') return '';
    if (!target)
      throw new DomainError('VALIDATION.FAILED', 'target is required for this scope', 'bad_request', [
        { field: 'target', message: 'required' },
      ]);
    if (scope === 'UNDERLYING') return target.toUpperCase();
    const { rows } = await this.pool.query<{ id: string }>(
      'SELECT id FROM accounts WHERE name = $1 OR id::text = $1',
      [target],
    );
    if (!rows[0]) throw new NotFoundError('account', target);
    return rows[0].id;
  }

  @Get('controls')
  @RequireScope('admin')
  async list(@CurrentPrincipal() p: Principal) {
    adminOnly(p);
    return { data: (await this.controls.list()).map(controlJson) };
  }

  @Post('controls/freeze')
  @RequireScope('admin')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(controlSchema) })
  async freeze(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    adminOnly(p);
    const input = parse(controlSchema, body);
    const target = await this.resolveTarget(input.scope, input.target);
    const control = await this.controls.set(
      {
        scope: input.scope,
        target,
        frozen: true,
        reason: input.reason,
        until: input.forSeconds ? new Date(Date.now() + input.forSeconds * 1000) : null,
      },
      p.accountId,
      p.correlationId ?? null,
    );
    // A frozen maker must not leave quotes behind that could still be hit.
    if (input.scope === 'ACCOUNT')
      await this.quotes.cancelAll(
        { accountId: target, role: 'MAKER', correlationId: p.correlationId ?? null },
        { reason: 'account frozen' },
      );
    return controlJson(control);
  }

  @Post('controls/unfreeze')
  @RequireScope('admin')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(controlSchema) })
  async unfreeze(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    adminOnly(p);
    const input = parse(controlSchema, body);
    const target = await this.resolveTarget(input.scope, input.target);
    return controlJson(
      await this.controls.set(
        { scope: input.scope, target, frozen: false, reason: input.reason, until: null },
        p.accountId,
        p.correlationId ?? null,
      ),
    );
  }

  @Get('audit')
  @RequireScope('admin')
  async auditLog(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    adminOnly(p);
    const q = parse(auditQuery, query);
    const actorId = q.actor
      ? ((
          await this.pool.query<{ id: string }>('SELECT id FROM accounts WHERE name = $1 OR id::text = $1', [
            q.actor,
          ])
        ).rows[0]?.id ?? '00000000-0000-0000-0000-000000000000')
      : undefined;
    const rows = await this.audit.list({
      entityType: q.entityType,
      entityId: q.entityId,
      actorId,
      action: q.action,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      before: q.cursor,
      limit: q.limit,
    });
    return {
      data: rows,
      nextCursor: rows.length === q.limit ? (rows[rows.length - 1]!.seq as string) : null,
    };
  }

  @Get('audit/verify')
  @RequireScope('admin')
  async verify(@CurrentPrincipal() p: Principal) {
    adminOnly(p);
    return this.audit.verify();
  }

  @Get('trades/:id/story')
  @RequireScope('admin')
  async story(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    adminOnly(p);
    if (!isUuid(id)) throw new NotFoundError('trade', id);
    const fill = (await this.pool.query('SELECT * FROM fills WHERE id = $1', [id])).rows[0] as
      Record<string, unknown> | undefined;
    if (!fill) throw new NotFoundError('trade', id);
    const rfq = (
      await this.pool.query(
        `SELECT r.*, (SELECT json_agg(json_build_object('instrument', i.name, 'side', l.side, 'ratio', l.ratio::text) ORDER BY l.leg_index) FROM rfq_legs l JOIN instruments i ON i.id = l.instrument_id WHERE l.rfq_id = r.id) AS legs FROM rfqs r WHERE r.id = $1`,
        [fill.rfq_id],
      )
    ).rows[0] as Record<string, unknown> & { created_at: Date };
    const quotes = (
      await this.pool.query(
        `SELECT q.*, a.name AS maker FROM quotes q JOIN accounts a ON a.id = q.maker_id WHERE q.rfq_id = $1 ORDER BY q.created_at`,
        [fill.rfq_id],
      )
    ).rows as Array<Record<string, unknown> & { created_at: Date }>;
    const decision = (
      await this.pool.query(
        `SELECT seq::text, occurred_at, action, after FROM audit_log WHERE entity_type = 'rfq' AND entity_id = $1 AND action LIKE 'auction.%' AND after->>'executionId' = $2`,
        [fill.rfq_id, fill.execution_id],
      )
    ).rows[0] as Record<string, unknown> | undefined;
    const journal = (
      await this.pool.query(
        `SELECT j.id, j.kind, j.created_at, json_agg(json_build_object('account', a.name, 'asset', p.asset_code, 'amount', p.amount::text) ORDER BY p.id) AS postings FROM journal_entries j JOIN postings p ON p.journal_entry_id = j.id JOIN accounts a ON a.id = p.account_id WHERE j.fill_id = $1 GROUP BY j.id`,
        [id],
      )
    ).rows;
    const confirmations = (
      await this.pool.query(
        `SELECT a.name AS account, c.state, c.created_at, c.delivered_at FROM trade_confirmations c JOIN accounts a ON a.id = c.account_id WHERE c.fill_id = $1`,
        [id],
      )
    ).rows;
    const trades = (
      await this.pool.query(
        `SELECT t.leg_index, i.name AS instrument, t.side, t.quantity::text, t.price::text FROM trades t JOIN instruments i ON i.id = t.instrument_id WHERE t.fill_id = $1 ORDER BY t.leg_index`,
        [id],
      )
    ).rows;
    const t0 = rfq.created_at.getTime();
    const after = (decision?.after ?? {}) as { allocations?: unknown; skipped?: unknown };
    return {
      rfq,
      quotes: quotes.map((q) => ({
        ...q,
        msAfterRfq: q.created_at.getTime() - t0,
        won: q.id === fill.quote_id,
      })),
      decision: decision
        ? {
            at: decision.occurred_at,
            action: decision.action,
            rule: 'best price first (lowest ask for a buy, highest bid for a sell), then earliest quote, then quote id; each quote trades at its own price',
            allocations: after.allocations,
            skipped: after.skipped,
          }
        : null,
      fill: {
        ...fill,
        quantity: dec(fill.quantity as string).toFixed(),
        price: dec(fill.price as string).toFixed(),
      },
      trades,
      ledger: journal,
      confirmations,
    };
  }
}
