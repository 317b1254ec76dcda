/**
 * A maker's risk report (served at GET /v1/risk): positions at mark, Greeks by underlying and expiry
 * bucket, realised and unrealised P&L, and the spot × vol stress grid. Pure: positions and snapshots in,
 * plain JSON out (money as decimal strings, Greeks as numbers).
 */
import { Decimal, dec } from '@app/core';
import type { MarketSnapshot } from '@app/market-data';
import { type PositionSpec, stressGrid, type StressResult } from '@app/pricing';
import type { InstrumentInfo } from '@app/rfq';
import { unrealisedPnl } from '@app/settlement';
import { positionSpec, riskAt, stressMarketFor } from './market-view.js';
import { aggregateRisk, type Holding, type UnderlyingExposure } from './risk-measures.js';

export interface ReportPosition {
  readonly instrument: InstrumentInfo;
  readonly quantity: Decimal;
  readonly costBasis: Decimal;
  readonly realisedPnl: Decimal;
}

export interface RiskReportInput {
  readonly accountId: string;
  readonly positions: readonly ReportPosition[];
  /** Latest snapshot per underlying, fresh or not (`fresh` says which). */
  readonly snapshots: Readonly<Record<string, MarketSnapshot | undefined>>;
  readonly fresh: Readonly<Record<string, boolean>>;
  readonly now: Date;
}

/** Marks are carried to 8 decimals (the price scale of the ledger) before they multiply quantities. */
const MARK_DP = 8;
/** Stress P&L is a double revaluation: reported to the cent. */
const STRESS_DP = 2;

function greeksJson(e: UnderlyingExposure) {
  return {
    delta: e.delta,
    gamma: e.gamma,
    vegaPerPoint: e.vegaPerPoint,
    thetaPerDay: e.thetaPerDay,
    grossNotional: new Decimal(e.grossNotional).toDecimalPlaces(STRESS_DP).toFixed(),
  };
}

function stressJson(r: StressResult) {
  const money = (v: number) => new Decimal(v).toDecimalPlaces(STRESS_DP).toFixed();
  return {
    spotShocks: [...r.spotShocks],
    volShocks: [...r.volShocks],
    pnl: r.pnl.map((row) => row.map(money)),
    worst: { pnl: money(r.worst.pnl), spotShock: r.worst.spotShock, volShock: r.worst.volShock },
  };
}

export function buildRiskReport(input: RiskReportInput) {
  const { now } = input;
  const underlyings = [...new Set(input.positions.map((p) => p.instrument.underlying))].sort();
  const holdings: Holding[] = [];
  const specs: PositionSpec[] = [];
  let realised = new Decimal(0);
  let unrealised = new Decimal(0);
  let complete = true;

  const positions = input.positions.map((p) => {
    const snapshot = input.snapshots[p.instrument.underlying];
    realised = realised.plus(p.realisedPnl);
    const quantity = p.quantity.toNumber();
    const common = {
      instrument: p.instrument.name,
      underlying: p.instrument.underlying,
      kind: p.instrument.kind,
      quantity: p.quantity.toFixed(),
      costBasis: p.costBasis.toFixed(),
      realisedPnl: p.realisedPnl.toFixed(),
    };
    if (snapshot === undefined) {
      if (!p.quantity.isZero()) complete = false;
      return { ...common, bucket: null, mark: null, value: null, unrealisedPnl: null, greeks: null };
    }
    const risk = riskAt(snapshot, p.instrument, now);
    const mark = dec(risk.mark).toDecimalPlaces(MARK_DP);
    const value = p.quantity.mul(mark).mul(p.instrument.multiplier);
    const pnl = unrealisedPnl(
      { quantity: p.quantity, costBasis: p.costBasis, realisedPnl: p.realisedPnl },
      mark,
      p.instrument.multiplier,
    );
    unrealised = unrealised.plus(pnl);
    if (quantity !== 0) {
      holdings.push({ quantity, risk });
      specs.push(positionSpec(p.instrument, quantity, now));
    }
    return {
      ...common,
      bucket: risk.bucket,
      mark: mark.toFixed(),
      value: value.toDecimalPlaces(MARK_DP).toFixed(),
      unrealisedPnl: pnl.toDecimalPlaces(MARK_DP).toFixed(),
      greeks: {
        delta: quantity * risk.delta,
        gamma: quantity * risk.gamma,
        vegaPerPoint: quantity * risk.vegaPerPoint,
        thetaPerDay: quantity * risk.thetaPerDay,
      },
    };
  });

  const valued = underlyings.flatMap((u) => {
    const s = input.snapshots[u];
    return s ? [s] : [];
  });
  const spots = Object.fromEntries(valued.map((s) => [s.underlying, s.spot]));
  const risk = aggregateRisk(holdings, spots);
  const market = stressMarketFor(valued);
  // Every underlying is shocked by the same relative move at once (correlation one): the conservative
  // reading for a crypto book. Per-underlying grids are there for the per-underlying stress limit.
  const all = stressGrid(specs, market);
  const byUnderlying = Object.fromEntries(
    valued.map((s) => [
      s.underlying,
      stressJson(
        stressGrid(
          specs.filter((p) => p.underlying === s.underlying),
          market,
        ),
      ),
    ]),
  );

  return {
    accountId: input.accountId,
    asOf: now.toISOString(),
    marketData: Object.fromEntries(
      underlyings.map((u) => {
        const s = input.snapshots[u];
        return [
          u,
          {
            fresh: input.fresh[u] ?? false,
            spot: s?.spot ?? null,
            atmVol: s?.atmVol ?? null,
            timestamp: s ? new Date(s.timestamp).toISOString() : null,
          },
        ];
      }),
    ),
    positions,
    greeks: {
      byUnderlying: Object.fromEntries(Object.entries(risk.byUnderlying).map(([u, e]) => [u, greeksJson(e)])),
      byBucket: Object.fromEntries(
        Object.entries(risk.byBucket).map(([u, buckets]) => [
          u,
          Object.fromEntries(Object.entries(buckets).map(([b, e]) => [b, greeksJson(e)])),
        ]),
      ),
    },
    pnl: {
      realised: realised.toDecimalPlaces(MARK_DP).toFixed(),
      unrealised: unrealised.toDecimalPlaces(MARK_DP).toFixed(),
      total: realised.plus(unrealised).toDecimalPlaces(MARK_DP).toFixed(),
      /** False when a position could not be marked (no market data at all for its underlying). */
      complete,
    },
    stress: { all: stressJson(all), byUnderlying },
    worstStressLoss: new Decimal(Math.max(0, -all.worst.pnl)).toDecimalPlaces(STRESS_DP).toFixed(),
  };
}

export type RiskReport = ReturnType<typeof buildRiskReport>;
