/**
 * Book-level risk: aggregated Greeks and full-revaluation stress scenarios.
 *
 * Spot shocks are relative and hit spot and every forward of an underlying alike (carry unchanged); vol
 * shocks are additive in vol points on top of whatever the market's vol function returns for the shocked
 * forward, floored (1 % by default). A vol function that works in log-moneyness (e.g. surfaceVol) therefore
 * gives sticky-moneyness scenarios; one that ignores the forward gives sticky-strike ones.
 */
import { black76, type Greeks, type OptionType } from './black76.js';
import { surfaceForward, surfaceVol, type VolSurface } from './surface.js';

interface PositionBase {
  readonly underlying: string;
  /** Signed number of contracts (positive = long). */
  readonly quantity: number;
  /** Units of underlying per contract; default 1. */
  readonly multiplier?: number;
}

export interface OptionPosition extends PositionBase {
  readonly kind: 'option';
  readonly type: OptionType;
  readonly strike: number;
  /** Time to expiry in years. */
  readonly years: number;
}

export interface FuturePosition extends PositionBase {
  readonly kind: 'future';
  readonly years: number;
}

export interface PerpPosition extends PositionBase {
  readonly kind: 'perp';
}

export type PositionSpec = OptionPosition | FuturePosition | PerpPosition;

export interface MarketUnderlying {
  readonly spot: number;
  /** Forward for an expiry in years; default: the spot (no carry). */
  readonly forward?: (years: number) => number;
}

export interface StressMarket {
  readonly underlyings: Readonly<Record<string, MarketUnderlying>>;
  /** Implied vol (0.6 = 60 %) for an option on `underlying` at `strike`, expiry `years`, forward `forward`. */
  readonly vol: (underlying: string, strike: number, years: number, forward: number) => number;
  /** Discount rate for option premia. */
  readonly rate: number;
}

/** Market built from arbitrage-checked surfaces (forwards and vols read off each underlying's surface). */
export function marketFromSurfaces(surfaces: readonly VolSurface[], rate: number): StressMarket {
  const byName = new Map(surfaces.map((s) => [s.underlying, s]));
  const surfaceOf = (underlying: string): VolSurface => {
    const s = byName.get(underlying);
    if (s === undefined) throw new RangeError(`no surface for ${underlying}`);
    return s;
  };
  return {
    underlyings: Object.fromEntries(
      surfaces.map((s) => [
        s.underlying,
        { spot: s.spot, forward: (years: number) => surfaceForward(s, years) },
      ]),
    ),
    vol: (underlying, strike, years, forward) => surfaceVol(surfaceOf(underlying), strike, years, forward),
    rate,
  };
}

export type ExpiryBucket = '0-7d' | '7-30d' | '30-90d' | '90d+';

export const EXPIRY_BUCKETS: readonly ExpiryBucket[] = ['0-7d', '7-30d', '30-90d', '90d+'];

/** Expiry bucket of a time to expiry (ACT/365 days: [0,7), [7,30), [30,90), [90,∞)). */
export function expiryBucket(years: number): ExpiryBucket {
  const days = years * 365;
  if (days < 7) return '0-7d';
  if (days < 30) return '7-30d';
  if (days < 90) return '30-90d';
  return '90d+';
}

interface Scenario {
  readonly spotShock: number;
  readonly volShock: number;
  readonly volFloor: number;
}

const BASE: Scenario = { spotShock: 0, volShock: 0, volFloor: 0 };

function underlyingOf(market: StressMarket, name: string): MarketUnderlying {
  const u = market.underlyings[name];
  if (u === undefined) throw new RangeError(`market has no underlying ${name}`);
  return u;
}

function forwardOf(u: MarketUnderlying, years: number): number {
  return u.forward === undefined ? u.spot : u.forward(years);
}

/** Value of a position in a (possibly shocked) market; linear products are valued at notional (q·m·F). */
function positionValue(p: PositionSpec, market: StressMarket, scenario: Scenario): number {
  const u = underlyingOf(market, p.underlying);
  const size = p.quantity * (p.multiplier ?? 1);
  const bump = 1 + scenario.spotShock;
  switch (p.kind) {
    case 'perp':
      return size * u.spot * bump;
    case 'future':
      return size * forwardOf(u, p.years) * bump;
    case 'option': {
      const forward = forwardOf(u, p.years) * bump;
      const base = market.vol(p.underlying, p.strike, p.years, forward);
      // An unshocked vol is left alone so that the (0, 0) cell reproduces the book exactly.
      const vol = scenario.volShock === 0 ? base : Math.max(base + scenario.volShock, scenario.volFloor);
      return (
        size *
        black76({ type: p.type, forward, strike: p.strike, years: p.years, vol, rate: market.rate }).price
      );
    }
  }
}

export interface StressOptions {
  /** Relative spot shocks; default ±5, 10, 20, 30 % and 0. */
  readonly spotShocks?: readonly number[];
  /** Additive vol shocks in vol (0.05 = 5 points); default ±5, 10, 20 points and 0. */
  readonly volShocks?: readonly number[];
  /** Floor on shocked vols; default 0.01. */
  readonly volFloor?: number;
}

export interface StressResult {
  readonly spotShocks: readonly number[];
  readonly volShocks: readonly number[];
  /** pnl[i][j]: P&L (quote currency) under spotShocks[i] and volShocks[j], vs the unshocked book. */
  readonly pnl: readonly (readonly number[])[];
  readonly worst: { readonly pnl: number; readonly spotShock: number; readonly volShock: number };
}

export const DEFAULT_SPOT_SHOCKS: readonly number[] = [-0.3, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3];
export const DEFAULT_VOL_SHOCKS: readonly number[] = [-0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2];

/** Full revaluation of the book on the spot × vol shock grid; the worst cell is the most negative P&L. */
export function stressGrid(
  positions: readonly PositionSpec[],
  market: StressMarket,
  options: StressOptions = {},
): StressResult {
  const spotShocks = options.spotShocks ?? DEFAULT_SPOT_SHOCKS;
  const volShocks = options.volShocks ?? DEFAULT_VOL_SHOCKS;
  const volFloor = options.volFloor ?? 0.01;
  if (spotShocks.some((s) => !(s > -1))) throw new RangeError('spot shocks must be > -100 %');
  const baseValue = positions.reduce((sum, p) => sum + positionValue(p, market, BASE), 0);
  let worst = { pnl: Infinity, spotShock: 0, volShock: 0 };
  const pnl = spotShocks.map((spotShock) =>
    volShocks.map((volShock) => {
      const scenario: Scenario = { spotShock, volShock, volFloor };
      const value = positions.reduce((sum, p) => sum + positionValue(p, market, scenario), 0);
      const cell = value - baseValue;
      if (cell < worst.pnl) worst = { pnl: cell, spotShock, volShock };
      return cell;
    }),
  );
  if (positions.length === 0 || worst.pnl === Infinity) worst = { pnl: 0, spotShock: 0, volShock: 0 };
  return { spotShocks, volShocks, pnl, worst };
}

/**
 * Greeks of a group of positions, in spot terms: delta = dV/dS in underlying units, gamma = d²V/dS², using
 * dF/dS = F/S (carry unchanged); vega per 1.00 of vol and per vol point; theta per year with forwards held
 * fixed; vanna and charm scaled like delta. Quote-currency sums across positions.
 */
export interface PortfolioGreeks extends Greeks {
  readonly vegaPerPoint: number;
  /** Mark-to-market of the option premia (linear products add nothing: they are margined). */
  readonly premium: number;
}

export interface PortfolioRisk {
  readonly byUnderlying: Readonly<Record<string, PortfolioGreeks>>;
  /** Per underlying, per expiry bucket ('0-7d', '7-30d', '30-90d', '90d+', and 'perp' for perpetuals). */
  readonly byBucket: Readonly<Record<string, Readonly<Record<string, PortfolioGreeks>>>>;
}

type MutableGreeks = { -readonly [K in keyof PortfolioGreeks]: number };

function zero(): MutableGreeks {
  return {
    delta: 0,
    gamma: 0,
    vega: 0,
    vegaPerPoint: 0,
    theta: 0,
    rho: 0,
    vanna: 0,
    volga: 0,
    charm: 0,
    premium: 0,
  };
}

function positionGreeks(p: PositionSpec, market: StressMarket): PortfolioGreeks {
  const u = underlyingOf(market, p.underlying);
  const size = p.quantity * (p.multiplier ?? 1);
  const g = zero();
  switch (p.kind) {
    case 'perp':
      g.delta = size;
      return g;
    case 'future':
      g.delta = (size * forwardOf(u, p.years)) / u.spot;
      return g;
    case 'option': {
      const forward = forwardOf(u, p.years);
      const vol = market.vol(p.underlying, p.strike, p.years, forward);
      const r = black76({ type: p.type, forward, strike: p.strike, years: p.years, vol, rate: market.rate });
      const dFdS = forward / u.spot;
      g.delta = size * r.delta * dFdS;
      g.gamma = size * r.gamma * dFdS * dFdS;
      g.vega = size * r.vega;
      g.vegaPerPoint = size * r.vegaPerPoint;
      g.theta = size * r.theta;
      g.rho = size * r.rho;
      g.vanna = size * r.vanna * dFdS;
      g.volga = size * r.volga;
      g.charm = size * r.charm * dFdS;
      g.premium = size * r.price;
      return g;
    }
  }
}

function addInto(target: MutableGreeks, g: PortfolioGreeks): void {
  for (const key of Object.keys(target) as (keyof MutableGreeks)[]) target[key] += g[key];
}

/** Greeks by underlying and by (underlying, expiry bucket). */
export function portfolioGreeks(positions: readonly PositionSpec[], market: StressMarket): PortfolioRisk {
  const byUnderlying: Record<string, MutableGreeks> = {};
  const byBucket: Record<string, Record<string, MutableGreeks>> = {};
  for (const p of positions) {
    const g = positionGreeks(p, market);
    const bucket = p.kind === 'perp' ? 'perp' : expiryBucket(p.years);
    addInto((byUnderlying[p.underlying] ??= zero()), g);
    addInto(((byBucket[p.underlying] ??= {})[bucket] ??= zero()), g);
  }
  return { byUnderlying, byBucket };
}
