import { Controller, Get, Inject, Optional, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { dec, Decimal, DomainError, MARK_SOURCE, MarkSource, NotFoundError } from '@app/core';
import { PG_POOL } from '@app/db';
import { InstrumentInfo, InstrumentRepository } from '@app/rfq';
import type { Pool } from 'pg';
import { z } from 'zod';
import { CurrentPrincipal, RequireScope } from '../auth/auth.guard.js';
import type { Principal } from '../auth/auth.service.js';
import { parse } from '../http/validation.js';
import { buildPnlHistory, LedgerEvent } from './pnl-history.js';

const adminOnly = (p: Principal) => {
  if (p.role !== 'ADMIN') throw new DomainError('AUTH.NOT_ADMIN', 'admins only', 'forbidden');
};

const historyQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(2_000).default(500),
});

/** Limits of one maker on one underlying (null = no limit on that measure), as stored in risk_limits. */
interface LimitRow {
  maker_id: string;
  underlying: string;
  max_abs_delta: string | null;
  max_abs_gamma: string | null;
  max_abs_vega: string | null;
  max_gross_notional: string | null;
  max_stress_loss: string | null;
}

interface Exposure {
  delta: number;
  gamma: number;
  vegaPerPoint: number;
  thetaPerDay: number;
  grossNotional: number | null;
  /** False when an option was held without a live mark (its Greeks are missing from the sums). */
  complete: boolean;
}

const num = (v: string | null) => (v === null ? null : Number(v));
const money = (d: Decimal) => d.toDecimalPlaces(8).toFixed();
const round = (v: number, dp = 6) => Number(v.toFixed(dp));
const utilisation = (value: number | null, max: number | null) =>
  value === null || max === null || max <= 0 ? null : round(Math.abs(value) / max, 4);

/**
 * Admin reads for the console that the public API does not have: accounts, every maker's inventory with
 * its Greeks and limits, and a maker's P&L over time. Marks and Greeks come from the MARK_SOURCE port (the
 * market data of this process), exactly as GET /v1/positions reads them.
 */
@ApiTags('admins')
@Controller('v1/admin')
export class ConsoleDataController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly instruments: InstrumentRepository,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  @Get('accounts')
  @RequireScope('admin')
  async accounts(@CurrentPrincipal() p: Principal) {
    adminOnly(p);
    const { rows } = await this.pool.query<{ id: string; name: string; role: string; created_at: Date }>(
      'SELECT id, name, role, created_at FROM accounts ORDER BY role, name',
    );
    return {
      data: rows.map((r) => ({
        id: r.id,
        name: r.name,
        role: r.role,
        createdAt: r.created_at.toISOString(),
      })),
    };
  }

  /**
   * Every maker's open positions at mark, with per-contract Greeks × quantity summed by underlying and set
   * against the maker's risk_limits (vega per vol point, gross notional = Σ |qty| × multiplier × index,
   * the index being the perpetual's mark). Stress loss is reported as a limit only: it is not recomputed here.
   */
  @Get('makers/inventory')
  @RequireScope('admin')
  async inventory(@CurrentPrincipal() p: Principal) {
    adminOnly(p);
    const now = new Date();
    const [makers, positions, limits, fees, frozen, balances] = await Promise.all([
      this.pool.query<{ id: string; name: string; quoting: boolean | null }>(
        `SELECT a.id, a.name, s.enabled AS quoting FROM accounts a LEFT JOIN maker_strategies s ON s.maker_id = a.id
          WHERE a.role = 'MAKER' ORDER BY a.name`,
      ),
      this.pool.query<{
        account_id: string;
        instrument_id: string;
        quantity: string;
        cost_basis: string;
        realised_pnl: string;
      }>(
        `SELECT p.account_id, p.instrument_id, p.quantity::text, p.cost_basis::text, p.realised_pnl::text
           FROM positions p JOIN accounts a ON a.id = p.account_id
          WHERE a.role = 'MAKER' AND (p.quantity <> 0 OR p.realised_pnl <> 0)`,
      ),
      this.pool.query<LimitRow>(
        `SELECT maker_id, underlying, max_abs_delta::text, max_abs_gamma::text, max_abs_vega::text,
                max_gross_notional::text, max_stress_loss::text FROM risk_limits ORDER BY underlying`,
      ),
      this.pool.query<{ maker_id: string; fees: string; fills: number; last_fill_at: Date | null }>(
        `SELECT maker_id, sum(maker_fee)::text AS fees, count(*)::int AS fills, max(created_at) AS last_fill_at
           FROM fills GROUP BY maker_id`,
      ),
      this.pool.query<{ target: string }>(
        `SELECT target FROM controls WHERE scope = 'ACCOUNT' AND frozen AND (until IS NULL OR until > now())`,
      ),
      this.pool.query<{ account_id: string; asset_code: string; amount: string }>(
        `SELECT b.account_id, b.asset_code, b.amount::text FROM balances b JOIN assets s ON s.code = b.asset_code
          WHERE s.kind = 'CURRENCY'`,
      ),
    ]);
    const frozenIds = new Set(frozen.rows.map((r) => r.target));
    const spots = new Map<string, number | null>();
    const spotOf = async (underlying: string) => {
      if (!spots.has(underlying)) {
        const perpetual = await this.instruments.findByName(`${underlying}-PERPETUAL`);
        spots.set(underlying, perpetual ? (this.marks?.markOf(perpetual)?.price ?? null) : null);
      }
      return spots.get(underlying) ?? null;
    };

    const data = [];
    for (const maker of makers.rows) {
      const rows = [];
      for (const r of positions.rows.filter((x) => x.account_id === maker.id)) {
        const instrument = await this.instruments.findById(r.instrument_id);
        if (instrument) rows.push({ row: r, instrument });
      }
      rows.sort((a, b) => a.instrument.name.localeCompare(b.instrument.name));
      const exposures = new Map<string, Exposure>();
      let realised = new Decimal(0);
      let unrealised = new Decimal(0);
      let pnlComplete = true;
      const positionsJson = [];
      for (const { row, instrument } of rows) {
        const quantity = dec(row.quantity);
        const costBasis = dec(row.cost_basis);
        realised = realised.plus(dec(row.realised_pnl));
        const mark = this.marks?.markOf(instrument) ?? null;
        const q = quantity.toNumber();
        const e = exposures.get(instrument.underlying) ?? {
          delta: 0,
          gamma: 0,
          vegaPerPoint: 0,
          thetaPerDay: 0,
          grossNotional: 0,
          complete: true,
        };
        exposures.set(instrument.underlying, e);
        const greeks = mark ? mark.greeks : linearGreeks(instrument);
        if (q !== 0) {
          if (greeks) {
            e.delta += q * (greeks.delta ?? 0);
            e.gamma += q * (greeks.gamma ?? 0);
            e.vegaPerPoint += q * (greeks.vegaPerPoint ?? 0);
            e.thetaPerDay += q * (greeks.thetaPerDay ?? 0);
          } else e.complete = false;
          const spot = await spotOf(instrument.underlying);
          e.grossNotional =
            spot === null || e.grossNotional === null
              ? null
              : e.grossNotional + Math.abs(q) * instrument.multiplier.toNumber() * spot;
        }
        const markPrice = mark ? dec(mark.price).toDecimalPlaces(8) : null;
        const value = markPrice ? quantity.mul(markPrice).mul(instrument.multiplier) : null;
        const upnl = value ? value.minus(costBasis) : null;
        if (upnl) unrealised = unrealised.plus(upnl);
        else if (!quantity.isZero()) pnlComplete = false;
        positionsJson.push({
          instrument: instrument.name,
          underlying: instrument.underlying,
          kind: instrument.kind,
          quantity: quantity.toFixed(),
          costBasis: money(costBasis),
          realisedPnl: money(dec(row.realised_pnl)),
          markPrice: markPrice?.toFixed() ?? null,
          value: value ? money(value) : null,
          unrealisedPnl: upnl ? money(upnl) : null,
          greeks:
            greeks && q !== 0
              ? {
                  delta: round(q * (greeks.delta ?? 0)),
                  gamma: round(q * (greeks.gamma ?? 0), 10),
                  vegaPerPoint: round(q * (greeks.vegaPerPoint ?? 0)),
                  thetaPerDay: round(q * (greeks.thetaPerDay ?? 0)),
                }
              : null,
          markStale: mark === null,
        });
      }
      const myLimits = limits.rows.filter((l) => l.maker_id === maker.id);
      const underlyings = [...new Set([...exposures.keys(), ...myLimits.map((l) => l.underlying)])].sort();
      const fee = fees.rows.find((f) => f.maker_id === maker.id);
      const feesPaid = dec(fee?.fees ?? '0');
      data.push({
        id: maker.id,
        name: maker.name,
        quoting: maker.quoting ?? false,
        frozen: frozenIds.has(maker.id),
        fills: fee?.fills ?? 0,
        lastFillAt: fee?.last_fill_at?.toISOString() ?? null,
        pnl: {
          realised: money(realised),
          unrealised: money(unrealised),
          fees: money(feesPaid),
          net: money(realised.plus(unrealised).minus(feesPaid)),
          complete: pnlComplete,
        },
        balances: balances.rows
          .filter((b) => b.account_id === maker.id)
          .map((b) => ({ asset: b.asset_code, amount: money(dec(b.amount)) })),
        risk: underlyings.map((u) => {
          const e = exposures.get(u) ?? {
            delta: 0,
            gamma: 0,
            vegaPerPoint: 0,
            thetaPerDay: 0,
            grossNotional: 0,
            complete: true,
          };
          const l = myLimits.find((x) => x.underlying === u);
          const limitsJson = {
            maxAbsDelta: num(l?.max_abs_delta ?? null),
            maxAbsGamma: num(l?.max_abs_gamma ?? null),
            maxAbsVega: num(l?.max_abs_vega ?? null),
            maxGrossNotional: num(l?.max_gross_notional ?? null),
            maxStressLoss: num(l?.max_stress_loss ?? null),
          };
          return {
            underlying: u,
            delta: round(e.delta),
            gamma: round(e.gamma, 10),
            vegaPerPoint: round(e.vegaPerPoint),
            thetaPerDay: round(e.thetaPerDay),
            grossNotional: e.grossNotional === null ? null : round(e.grossNotional, 2),
            complete: e.complete,
            limits: limitsJson,
            utilisation: {
              delta: utilisation(e.delta, limitsJson.maxAbsDelta),
              gamma: utilisation(e.gamma, limitsJson.maxAbsGamma),
              vega: utilisation(e.vegaPerPoint, limitsJson.maxAbsVega),
              grossNotional: utilisation(e.grossNotional, limitsJson.maxGrossNotional),
            },
          };
        }),
        positions: positionsJson.filter((x) => x.quantity !== '0'),
      });
    }
    return { asOf: now.toISOString(), data };
  }

  /** See `buildPnlHistory` for what the numbers are (and are not). */
  @Get('makers/:name/pnl-history')
  @RequireScope('admin')
  async pnlHistory(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Query() query: unknown) {
    adminOnly(p);
    const q = parse(historyQuery, query);
    parse(z.string().max(64), name);
    const maker = (
      await this.pool.query<{ id: string; name: string }>(
        `SELECT id, name FROM accounts WHERE role = 'MAKER' AND (name = $1 OR id::text = $1)`,
        [name],
      )
    ).rows[0];
    if (!maker) throw new NotFoundError('maker', name);

    const { rows: entries } = await this.pool.query<{
      kind: 'FILL' | 'HEDGE';
      created_at: Date;
      fill_id: string | null;
      hedge_id: string | null;
      first_id: string;
      postings: Array<{ asset: string; currency: boolean; amount: string }>;
    }>(
      `WITH mine AS (
         SELECT p.id, p.journal_entry_id, p.asset_code, p.amount FROM postings p
           JOIN journal_entries j ON j.id = p.journal_entry_id
          WHERE p.account_id = $1 AND j.kind IN ('FILL', 'HEDGE')),
       last AS (
         SELECT journal_entry_id, min(id) AS first_id FROM mine GROUP BY journal_entry_id ORDER BY first_id DESC LIMIT $2)
       SELECT j.kind, j.created_at, j.fill_id, j.hedge_id, l.first_id::text,
              json_agg(json_build_object('asset', m.asset_code, 'currency', s.kind = 'CURRENCY', 'amount', m.amount::text)) AS postings
         FROM last l JOIN journal_entries j ON j.id = l.journal_entry_id
         JOIN mine m ON m.journal_entry_id = l.journal_entry_id JOIN assets s ON s.code = m.asset_code
        GROUP BY j.id, l.first_id ORDER BY l.first_id`,
      [maker.id, q.limit],
    );

    const firstId = entries[0]?.first_id ?? null;
    const baselineRows = firstId
      ? (
          await this.pool.query<{ asset: string; currency: boolean; amount: string }>(
            `SELECT p.asset_code AS asset, s.kind = 'CURRENCY' AS currency, sum(p.amount)::text AS amount
               FROM postings p JOIN journal_entries j ON j.id = p.journal_entry_id JOIN assets s ON s.code = p.asset_code
              WHERE p.account_id = $1 AND j.kind IN ('FILL', 'HEDGE') AND p.id < $2 GROUP BY p.asset_code, s.kind`,
            [maker.id, firstId],
          )
        ).rows
      : [];
    const earlier = firstId
      ? (
          await this.pool.query<{ n: number }>(
            `SELECT count(DISTINCT p.journal_entry_id)::int AS n FROM postings p JOIN journal_entries j ON j.id = p.journal_entry_id
              WHERE p.account_id = $1 AND j.kind IN ('FILL', 'HEDGE') AND p.id < $2`,
            [maker.id, firstId],
          )
        ).rows[0]!.n
      : 0;
    let baseCash = new Decimal(0);
    const baseHoldings = new Map<string, Decimal>();
    for (const r of baselineRows) {
      if (r.currency) baseCash = baseCash.plus(dec(r.amount));
      else if (!dec(r.amount).isZero()) baseHoldings.set(r.asset, dec(r.amount));
    }
    const basePrices = new Map<string, Decimal>();
    if (baseHoldings.size > 0) {
      const { rows } = await this.pool.query<{ name: string; price: string }>(
        `SELECT DISTINCT ON (name) name, price::text FROM (
           SELECT i.name, t.price, f.created_at FROM trades t JOIN fills f ON f.id = t.fill_id JOIN instruments i ON i.id = t.instrument_id
            WHERE f.maker_id = $1 AND i.name = ANY($2::text[]) AND f.created_at < $3
           UNION ALL
           SELECT i.name, h.price, h.created_at FROM hedge_orders h JOIN instruments i ON i.id = h.instrument_id
            WHERE h.maker_id = $1 AND i.name = ANY($2::text[]) AND h.created_at < $3) x
         ORDER BY name, created_at DESC`,
        [maker.id, [...baseHoldings.keys()], entries[0]!.created_at],
      );
      for (const r of rows) basePrices.set(r.name, dec(r.price));
    }

    const fillIds = entries.flatMap((e) => (e.fill_id ? [e.fill_id] : []));
    const hedgeIds = entries.flatMap((e) => (e.hedge_id ? [e.hedge_id] : []));
    const [legPrices, hedgePrices] = await Promise.all([
      this.pool.query<{ ref: string; name: string; price: string }>(
        `SELECT t.fill_id AS ref, i.name, t.price::text FROM trades t JOIN instruments i ON i.id = t.instrument_id
          WHERE t.fill_id = ANY($1::uuid[]) ORDER BY t.leg_index`,
        [fillIds],
      ),
      this.pool.query<{ ref: string; name: string; price: string }>(
        `SELECT h.id AS ref, i.name, h.price::text FROM hedge_orders h JOIN instruments i ON i.id = h.instrument_id
          WHERE h.id = ANY($1::uuid[])`,
        [hedgeIds],
      ),
    ]);
    const pricesByRef = new Map<string, Map<string, Decimal>>();
    for (const r of [...legPrices.rows, ...hedgePrices.rows]) {
      const m = pricesByRef.get(r.ref) ?? new Map<string, Decimal>();
      m.set(r.name, dec(r.price));
      pricesByRef.set(r.ref, m);
    }

    const events: LedgerEvent[] = entries.map((e) => {
      const ref = (e.fill_id ?? e.hedge_id)!;
      let cash = new Decimal(0);
      const holdings = new Map<string, Decimal>();
      for (const posting of e.postings) {
        if (posting.currency) cash = cash.plus(dec(posting.amount));
        else
          holdings.set(
            posting.asset,
            (holdings.get(posting.asset) ?? new Decimal(0)).plus(dec(posting.amount)),
          );
      }
      return {
        at: e.created_at,
        kind: e.kind,
        ref,
        cash,
        holdings,
        prices: pricesByRef.get(ref) ?? new Map(),
      };
    });

    const names = new Set([...baseHoldings.keys(), ...events.flatMap((e) => [...e.holdings.keys()])]);
    const known = new Map<string, InstrumentInfo>();
    for (const n of names) {
      const instrument = await this.instruments.findByName(n);
      if (instrument) known.set(n, instrument);
    }
    const history = buildPnlHistory({
      baseline: { cash: baseCash, holdings: baseHoldings, prices: basePrices, events: earlier },
      events,
      multipliers: new Map([...known].map(([n, i]) => [n, i.multiplier])),
      liveMark: (n) => {
        const instrument = known.get(n);
        const mark = instrument ? this.marks?.markOf(instrument) : null;
        return mark ? dec(mark.price).toDecimalPlaces(8) : null;
      },
      now: new Date(),
    });
    return {
      maker: maker.name,
      method:
        'P&L = trading cash (premiums, fees, hedges) + inventory value. Past points value each instrument at the price this maker last traded it at (no mark history is kept); NOW uses live marks.',
      eventsBefore: earlier,
      points: history.points,
      staleAtNow: history.staleAtNow,
    };
  }
}

/** Without market data a future or perpetual still has delta = multiplier per contract; an option has none. */
function linearGreeks(instrument: InstrumentInfo): Record<string, number> | null {
  if (instrument.kind === 'OPTION') return null;
  return { delta: instrument.multiplier.toNumber(), gamma: 0, vegaPerPoint: 0, thetaPerDay: 0 };
}
