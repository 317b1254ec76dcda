import { Controller, Get, Inject, Optional, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { dec, DomainError, MARK_SOURCE, MarkSource, NotFoundError, isUuid } from '@app/core';
import { InstrumentRepository, QuoteService, RfqService, quoteJson, rfqJson, QuoteView } from '@app/rfq';
import { InventoryService } from '@app/quoting';
import { LedgerCheckService } from '@app/settlement';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import { decodeCursor, encodeCursor, ReadRepository, TradeRow } from './read.repository.js';
import { listQuerySchema, parse } from './validation.js';

export function tradeJson(t: TradeRow, viewer: Principal) {
  const mine = viewer.role === 'ADMIN' || t.taker_id === viewer.accountId || t.maker_id === viewer.accountId;
  if (!mine) throw new NotFoundError('trade', t.id);
  return {
    id: t.id,
    rfqId: t.rfq_id,
    quoteId: t.quote_id,
    executionId: t.execution_id,
    takerId: t.taker_id,
    makerId: t.maker_id,
    role: viewer.role === 'ADMIN' ? undefined : t.taker_id === viewer.accountId ? 'taker' : 'maker',
    side: t.side,
    quantity: dec(t.quantity).toFixed(),
    price: dec(t.price).toFixed(),
    premium: dec(t.premium).toFixed(),
    takerFee: dec(t.taker_fee).toFixed(),
    makerFee: dec(t.maker_fee).toFixed(),
    state: t.state,
    legs: t.legs.map((l) => ({ ...l, quantity: dec(l.quantity).toFixed(), price: dec(l.price).toFixed() })),
    createdAt: t.created_at.toISOString(),
  };
}

const page = <T extends { createdAt: string; id: string }>(data: T[], limit: number) => ({
  data,
  nextCursor:
    data.length === limit
      ? encodeCursor(new Date(data[data.length - 1]!.createdAt), data[data.length - 1]!.id)
      : null,
});

@ApiTags('everyone')
@Controller('v1')
export class AccountController {
  constructor(
    private readonly read: ReadRepository,
    private readonly instruments: InstrumentRepository,
    private readonly inventory: InventoryService,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  /** My Greeks by underlying and expiry bucket, realised and unrealised P&L, and the stress grid. */
  @Get('risk')
  async risk(@CurrentPrincipal() p: Principal) {
    return this.inventory.riskReport(p.accountId);
  }

  @Get('trades')
  async trades(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = parse(listQuerySchema, query);
    const rows = await this.read.trades({
      accountId: p.accountId,
      instrument: q.instrument,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      cursor: decodeCursor(q.cursor),
      limit: q.limit,
    });
    return page(
      rows.map((t) => tradeJson(t, p)),
      q.limit,
    );
  }

  @Get('trades/:id')
  async trade(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const t = isUuid(id) ? await this.read.trade(id) : null;
    if (!t) throw new NotFoundError('trade', id);
    return tradeJson(t, p);
  }

  @Get('positions')
  async positions(@CurrentPrincipal() p: Principal) {
    const rows = await this.read.positions(p.accountId);
    const data = await Promise.all(
      rows.map(async (r) => {
        const instrument = await this.instruments.findById(r.instrument_id);
        const mark = instrument ? this.marks?.markOf(instrument) : null;
        const qty = dec(r.quantity);
        const markPrice = mark ? dec(mark.price).toDecimalPlaces(8) : null;
        const value = markPrice && instrument ? qty.mul(markPrice).mul(instrument.multiplier) : null;
        return {
          instrument: r.instrument,
          underlying: r.underlying,
          quantity: qty.toFixed(),
          costBasis: dec(r.cost_basis).toFixed(),
          realisedPnl: dec(r.realised_pnl).toFixed(),
          markPrice: markPrice?.toFixed() ?? null,
          unrealisedPnl: value ? value.minus(dec(r.cost_basis)).toDecimalPlaces(8).toFixed() : null,
          updatedAt: r.updated_at.toISOString(),
        };
      }),
    );
    const balances = (await this.read.balances(p.accountId)).map((b) => ({
      asset: b.asset_code,
      amount: dec(b.amount).toFixed(),
    }));
    return { data, balances };
  }
}

@ApiTags('admins')
@Controller('v1/admin')
export class AdminController {
  constructor(
    private readonly read: ReadRepository,
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly ledger: LedgerCheckService,
  ) {}

  private async filter(p: Principal, query: unknown) {
    if (p.role !== 'ADMIN') throw new DomainError('AUTH.NOT_ADMIN', 'admins only', 'forbidden');
    const q = parse(listQuerySchema, query);
    const accountId = q.account
      ? ((await this.read.accountIdByName(q.account)) ?? '00000000-0000-0000-0000-000000000000')
      : undefined;
    return {
      q,
      filter: {
        accountId,
        instrument: q.instrument,
        states: q.state,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        cursor: decodeCursor(q.cursor),
        limit: q.limit,
      },
    };
  }

  @Get('rfqs')
  @RequireScope('admin')
  async listRfqs(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const { q, filter } = await this.filter(p, query);
    const ids = await this.read.rfqIds(filter);
    const rows = await Promise.all(ids.map((id) => this.rfqs.getVisible(p, id)));
    return page(
      rows.map((r) => rfqJson(r)),
      q.limit,
    );
  }

  @Get('quotes')
  @RequireScope('admin')
  async listQuotes(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const { q, filter } = await this.filter(p, query);
    const ids = await this.read.quoteIds(filter);
    const rows: QuoteView[] = await Promise.all(ids.map((id) => this.quotes.get(p, id)));
    return page(
      rows.map((r) => quoteJson(r)),
      q.limit,
    );
  }

  @Get('trades')
  @RequireScope('admin')
  async listTrades(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const { q, filter } = await this.filter(p, query);
    const rows = await this.read.trades(filter);
    return page(
      rows.map((t) => tradeJson(t, p)),
      q.limit,
    );
  }

  @Get('ledger/check')
  @RequireScope('admin')
  async ledgerCheck(@CurrentPrincipal() p: Principal) {
    await this.filter(p, {});
    return this.ledger.run();
  }
}
