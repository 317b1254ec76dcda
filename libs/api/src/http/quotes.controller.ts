import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@app/core';
import { StrategyRepository, strategyJson } from '@app/quoting';
import { quoteJson, QuoteService, QuoteView, RfqService, rfqJson } from '@app/rfq';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import {
  cancelAllSchema,
  jsonSchema,
  listQuerySchema,
  parse,
  QUOTE_STATE_SET,
  replaceQuoteSchema,
  statesOf,
  strategySchema,
  submitQuoteSchema,
} from './validation.js';

const makersOnly = (p: Principal) => {
  if (p.role !== 'MAKER') throw new DomainError('ACCOUNT.NOT_MAKER', 'this route is for makers', 'forbidden');
};

@ApiTags('makers')
@Controller('v1/quotes')
export class QuotesController {
  constructor(private readonly quotes: QuoteService) {}

  @Post()
  @RequireScope('trade')
  @ApiBody({ schema: jsonSchema(submitQuoteSchema) })
  async submit(
    @CurrentPrincipal() p: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    makersOnly(p);
    const { quote, created } = await this.quotes.submit(p, parse(submitQuoteSchema, body));
    void reply.status(created ? 201 : 200);
    return quoteJson(quote);
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    makersOnly(p);
    const q = parse(listQuerySchema, query);
    const rows = await this.quotes.list(p, {
      rfqId: q.rfqId,
      states: statesOf(q.state, QUOTE_STATE_SET) as QuoteView['state'][] | undefined,
      limit: q.limit,
    });
    return { data: rows.map((r) => quoteJson(r)) };
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    makersOnly(p);
    return quoteJson(await this.quotes.get(p, id));
  }

  @Post('cancel-all')
  @RequireScope('trade')
  @HttpCode(200)
  @ApiBody({ schema: jsonSchema(cancelAllSchema) })
  async cancelAll(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    makersOnly(p);
    const input = parse(cancelAllSchema, body);
    const cancelled = await this.quotes.cancelAll(p, { rfqId: input.rfqId, reason: 'cancel all (REST)' });
    return { cancelled: cancelled.map((q) => q.id) };
  }

  @Put(':id')
  @RequireScope('trade')
  @ApiBody({ schema: jsonSchema(replaceQuoteSchema) })
  async replace(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    makersOnly(p);
    return quoteJson(await this.quotes.replace(p, id, parse(replaceQuoteSchema, body)));
  }

  @Delete(':id')
  @RequireScope('trade')
  async cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    makersOnly(p);
    return quoteJson(await this.quotes.cancel(p, id));
  }
}

@ApiTags('makers')
@Controller('v1/maker')
export class MakerController {
  constructor(
    private readonly rfqs: RfqService,
    private readonly strategies: StrategyRepository,
  ) {}

  @Get('rfqs')
  async openRfqs(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    makersOnly(p);
    const q = parse(listQuerySchema, query);
    const now = new Date();
    const rows = await this.rfqs.list(p, { states: ['OPEN', 'PARTIALLY_FILLED'], limit: q.limit });
    return { data: rows.filter((r) => r.expiresAt > now).map((r) => rfqJson(r, { revealTaker: false })) };
  }

  @Get('strategy')
  async getStrategy(@CurrentPrincipal() p: Principal) {
    makersOnly(p);
    return strategyJson(await this.strategies.get(p.accountId));
  }

  @Put('strategy')
  @RequireScope('trade')
  @ApiBody({ schema: jsonSchema(strategySchema) })
  async putStrategy(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    makersOnly(p);
    return strategyJson(
      await this.strategies.update(
        p.accountId,
        parse(strategySchema, body),
        p.accountId,
        p.correlationId ?? null,
      ),
    );
  }
}
