import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuctionService, bestBidAsk, RankableQuote } from '@app/auction';
import { dec, MARK_SOURCE, MarkSource, NotFoundError } from '@app/core';
import { InstrumentRepository, quoteJson, QuoteService, RfqService, RfqState, rfqJson } from '@app/rfq';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Public, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import {
  acceptSchema,
  createRfqSchema,
  executeSchema,
  idempotencyKey,
  jsonSchema,
  listQuerySchema,
  parse,
  RFQ_STATE_SET,
  statesOf,
} from './validation.js';

/**
 * Runs a retryable write under the request's Idempotency-Key (required, checked before the body)
 * and marks an answer that was replayed from the key's stored response.
 */
async function idempotent<T>(
  key: unknown,
  reply: FastifyReply,
  run: (key: string) => Promise<{ body: T; replayed: boolean }>,
): Promise<T> {
  const res = await run(parse(idempotencyKey, key, 'IDEMPOTENCY.KEY_REQUIRED'));
  if (res.replayed) void reply.header('idempotent-replayed', 'true');
  return res.body;
}

@ApiTags('takers')
@Controller('v1/rfqs')
export class RfqsController {
  constructor(
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly auction: AuctionService,
  ) {}

  @Post()
  @RequireScope('trade')
  @ApiOperation({ summary: 'Submit an RFQ (idempotent on clientRfqId)' })
  @ApiBody({ schema: jsonSchema(createRfqSchema) })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const input = parse(createRfqSchema, body);
    const { rfq, created } = await this.rfqs.create(p, {
      ...input,
      legs: input.legs.map((l) => ({ ...l, ratio: l.ratio ?? dec(1) })),
    });
    void reply.status(created ? 201 : 200);
    return rfqJson(rfq);
  }

  @Get()
  @ApiOperation({ summary: 'My RFQs (takers), newest first' })
  async list(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = parse(listQuerySchema, query);
    const rows = await this.rfqs.list(p, {
      states: statesOf(q.state, RFQ_STATE_SET) as RfqState[] | undefined,
      limit: q.limit,
    });
    return { data: rows.map((r) => rfqJson(r, { revealTaker: p.role !== 'MAKER' })) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One RFQ with its live quotes, best bid and best ask first' })
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const rfq = await this.rfqs.getVisible(p, id);
    if (p.role === 'MAKER') {
      return { ...rfqJson(rfq, { revealTaker: false }), quotes: [] };
    }
    const live = (await this.quotes.list(p, { rfqId: rfq.id, states: ['LIVE'], limit: 500 })).filter(
      (q) => q.validUntil > new Date(),
    );
    const rankables: RankableQuote[] = live.flatMap((q) => [
      ...(q.bid
        ? [
            {
              quoteId: q.id,
              makerId: q.makerId,
              side: 'BID' as const,
              price: q.bid.price,
              remaining: q.bid.quantity.minus(q.bid.filled),
              minQuantity: q.bid.minQuantity,
              createdAt: q.createdAt,
            },
          ]
        : []),
      ...(q.ask
        ? [
            {
              quoteId: q.id,
              makerId: q.makerId,
              side: 'ASK' as const,
              price: q.ask.price,
              remaining: q.ask.quantity.minus(q.ask.filled),
              minQuantity: q.ask.minQuantity,
              createdAt: q.createdAt,
            },
          ]
        : []),
    ]);
    const best = bestBidAsk(rankables);
    // Best bid first, then by bid price; then the rest by ask price: what a trader reads first.
    const sorted = [...live].sort((a, b) => {
      const ab = a.bid?.price,
        bb = b.bid?.price;
      if (ab && bb && !ab.eq(bb)) return bb.cmp(ab);
      if (ab && !bb) return -1;
      if (!ab && bb) return 1;
      const aa = a.ask?.price,
        ba = b.ask?.price;
      if (aa && ba && !aa.eq(ba)) return aa.cmp(ba);
      return a.createdAt.getTime() - b.createdAt.getTime();
    });
    const level = (l: typeof best.bestBid) =>
      l ? { quoteId: l.quoteId, price: l.price.toFixed(), quantity: l.quantity.toFixed() } : null;
    return {
      ...rfqJson(rfq),
      bestBid: level(best.bestBid),
      bestAsk: level(best.bestAsk),
      quotes: sorted.map((q) => quoteJson(q, { revealMaker: p.role === 'ADMIN' })),
    };
  }

  @Post(':id/cancel')
  @RequireScope('trade')
  @HttpCode(200)
  async cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return rfqJson(await this.rfqs.cancel(p, id));
  }

  @Post(':id/accept')
  @RequireScope('trade')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiBody({ schema: jsonSchema(acceptSchema) })
  @ApiOperation({ summary: 'Accept one named quote' })
  async accept(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return idempotent(key, reply, (k) => {
      const input = parse(acceptSchema, body);
      return this.auction.accept(
        p,
        id,
        { quoteId: input.quoteId, side: input.side, quantity: input.quantity ?? null },
        k,
      );
    });
  }

  @Post(':id/execute')
  @RequireScope('trade')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  @ApiBody({ schema: jsonSchema(executeSchema) })
  @ApiOperation({ summary: 'Execute against the best live quotes (price, then time) up to a limit price' })
  async execute(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return idempotent(key, reply, (k) => this.auction.execute(p, id, parse(executeSchema, body), k));
  }
}

@ApiTags('public')
@Public()
@Controller('v1/instruments')
export class InstrumentsController {
  constructor(
    private readonly instruments: InstrumentRepository,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  private json(i: Awaited<ReturnType<InstrumentRepository['all']>>[number], withMark: boolean) {
    const mark = withMark ? this.marks?.markOf(i) : null;
    return {
      name: i.name,
      kind: i.kind,
      underlying: i.underlying,
      expiry: i.expiry?.toISOString() ?? null,
      strike: i.strike?.toFixed() ?? null,
      optionType: i.optionType,
      tickSize: i.tickSize.toFixed(),
      lotSize: i.lotSize.toFixed(),
      contractMultiplier: i.multiplier.toFixed(),
      active: i.active,
      ...(withMark
        ? {
            markPrice: mark ? dec(mark.price).toDecimalPlaces(8).toFixed() : null,
            greeks: mark
              ? Object.fromEntries(
                  Object.entries(mark.greeks).map(([k, v]) => [k, dec(v).toSignificantDigits(12).toFixed()]),
                )
              : null,
            markTimestamp: mark ? new Date(mark.timestamp).toISOString() : null,
          }
        : {}),
    };
  }

  @Get()
  async list() {
    return { data: (await this.instruments.all()).filter((i) => i.active).map((i) => this.json(i, false)) };
  }

  @Get(':name')
  async get(@Param('name') name: string) {
    const i = await this.instruments.findByName(name);
    if (!i) throw new NotFoundError('instrument', name);
    return this.json(i, true);
  }
}
