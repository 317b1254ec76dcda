import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DomainError } from '@app/core';
import { AnalyticsRepository } from '@app/risk';
import { z } from 'zod';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import { parse } from './validation.js';

const windowQuery = z.strictObject({
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const since = (q: { since?: string }) =>
  q.since ? new Date(q.since) : new Date(Date.now() - 7 * 86_400_000);

@ApiTags('analytics')
@Controller('v1')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsRepository) {}

  /** A maker's own scorecard (response rate and times, quote-to-trade, win rate, best price, markouts). */
  @Get('analytics/scorecard')
  async scorecard(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    if (p.role !== 'MAKER')
      throw new DomainError('ACCOUNT.NOT_MAKER', 'scorecards are for makers', 'forbidden');
    return {
      data: await this.analytics.scorecards({
        makerId: p.accountId,
        since: since(parse(windowQuery, query)),
      }),
    };
  }

  /** A taker's execution quality per trade (vs theo, vs best and second-best quotes, cost of size). */
  @Get('analytics/execution-quality')
  async executionQuality(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    if (p.role !== 'TAKER')
      throw new DomainError('ACCOUNT.NOT_TAKER', 'execution quality is for takers', 'forbidden');
    const q = parse(windowQuery, query);
    return {
      data: await this.analytics.executionQuality({ takerId: p.accountId, since: since(q), limit: q.limit }),
    };
  }

  @Get('admin/analytics/scorecards')
  @RequireScope('admin')
  async allScorecards(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    if (p.role !== 'ADMIN') throw new DomainError('AUTH.NOT_ADMIN', 'admins only', 'forbidden');
    return { data: await this.analytics.scorecards({ since: since(parse(windowQuery, query)) }) };
  }

  @Get('admin/analytics/execution-quality')
  @RequireScope('admin')
  async allExecutionQuality(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    if (p.role !== 'ADMIN') throw new DomainError('AUTH.NOT_ADMIN', 'admins only', 'forbidden');
    const q = parse(windowQuery, query);
    return { data: await this.analytics.executionQuality({ since: since(q), limit: q.limit }) };
  }
}
