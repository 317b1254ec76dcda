/**
 * The built-in makers' quoting strategy: a structure's theo from marks, its factor risk per unit, and a
 * bid/ask skewed by the maker's inventory (multi-factor Avellaneda–Stoikov, `quoteFromRisk`), rounded to the
 * structure's tick and lot and cut down so that no full fill can breach a hard limit. Pure: the callers
 * value the legs and the book (see docs/quoting.md for the model and its units).
 */
import { Decimal, roundToStep } from '@app/core';
import {
  EXPIRY_BUCKETS,
  exposureVector,
  type FactorExposure,
  quoteFromRisk,
  riskCovariance,
  type RiskQuote,
} from '@app/pricing';
import type { Side } from '@app/rfq';
import {
  exposureBreaches,
  type InstrumentRisk,
  type LimitBreach,
  type RiskLimitSet,
  type UnderlyingExposure,
  zeroExposure,
} from './risk-measures.js';

const SECONDS_PER_YEAR = 365 * 24 * 60 * 60;

/**
 * Strategy γ is risk aversion per unit of money measured in percent of spot: the scale of Avellaneda and
 * Stoikov's paper (a price of 100), so one setting means the same on BTC at 100 000 and ETH at 3 500. In
 * USDC it is γ·100/S.
 */
export const RISK_AVERSION_PRICE_SCALE = 100;

export function riskAversionPerUsd(gamma: number, spot: number): number {
  return (gamma * RISK_AVERSION_PRICE_SCALE) / spot;
}

/**
 * Strategy volOfVol is the lognormal volatility of ATM implied vol per √year (the simulator's ν); the
 * factor model wants vol points per √year: ν·σ_ATM·100 (ν = 1 at 55 % vol ≈ 2.9 points a day).
 */
export function volOfVolPoints(volOfVol: number, atmVol: number): number {
  return volOfVol * atmVol * 100;
}

export interface StrategyLeg {
  /** The leg's side as the RFQ states it (what the taker gets when buying the structure). */
  readonly side: Side;
  readonly ratio: number;
  readonly risk: InstrumentRisk;
}

export interface StrategyMarket {
  readonly underlying: string;
  readonly spot: number;
  /** ATM vol (decimal), used as the index vol of the spot factor. */
  readonly atmVol: number;
}

export interface StrategyParams {
  /** Risk aversion, per percent-of-spot (see RISK_AVERSION_PRICE_SCALE). */
  readonly gamma: number;
  /** Order-arrival decay, per USDC of distance from the reservation price. */
  readonly k: number;
  /** Horizon τ over which inventory is held, seconds. */
  readonly horizonSeconds: number;
  /** Fixed spread (bid to ask) in structure ticks; half of it on each side. */
  readonly baseSpreadTicks: number;
  /** Largest structure quantity offered per side. */
  readonly maxSize: Decimal;
  /** Lognormal vol of ATM vol per √year (see volOfVolPoints). */
  readonly volOfVol: number;
  readonly spotVolCorrelation: number;
}

export interface StrategyInventory {
  /** The book's exposures per underlying (aggregateRisk). */
  readonly byUnderlying: Readonly<Record<string, UnderlyingExposure>>;
  /** Delta per underlying and vega per (underlying, bucket) of the book. */
  readonly exposures: readonly FactorExposure[];
  /** Signed contracts already held in the structure's instruments, by instrument name (gross notional). */
  readonly quantities: Readonly<Record<string, number>>;
}

export interface StructureQuoteInput {
  readonly legs: readonly StrategyLeg[];
  /** Structure quantity still open on the RFQ. */
  readonly quantity: Decimal;
  /** Structure tick (smallest leg tick) and lot (structureLotSize). */
  readonly tick: Decimal;
  readonly lot: Decimal;
  readonly markets: readonly StrategyMarket[];
  readonly inventory: StrategyInventory;
  readonly params: StrategyParams;
  /** Hard limits per underlying; an underlying without an entry is unlimited. */
  readonly limits: Readonly<Record<string, RiskLimitSet>>;
}

export interface QuoteSideResult {
  readonly price: Decimal;
  readonly quantity: Decimal;
}

export interface StructureQuote {
  /** Σ side·ratio·mark: fair value of one structure unit, in price units. */
  readonly theo: number;
  readonly reservation: number;
  /** reservation − theo: the inventory skew. */
  readonly shift: number;
  /** Factor sensitivities of one structure unit (factor key → value). */
  readonly g: Readonly<Record<string, number>>;
  readonly bid: QuoteSideResult | null;
  readonly ask: QuoteSideResult | null;
  /** Why a side is smaller than the RFQ or missing. */
  readonly notes: readonly string[];
}

/** Σ side·ratio·mark (price per unit of underlying): the structure's theo per unit. */
export function structureTheo(legs: readonly StrategyLeg[]): number {
  return legs.reduce((sum, l) => sum + sideSign(l.side) * l.ratio * l.risk.mark, 0);
}

/**
 * Premium per unit of net price. The net price is Σ side·ratio·leg price and each leg's premium carries its
 * own multiplier, so the two are proportional only when every leg has the same multiplier (true of every
 * listed instrument); a mixed structure is not quoted.
 */
export function structureMultiplier(legs: readonly StrategyLeg[]): number {
  const [first, ...rest] = legs;
  if (first === undefined) throw new RangeError('a structure needs legs');
  if (rest.some((l) => l.risk.multiplier !== first.risk.multiplier))
    throw new RangeError('legs with different multipliers have no common net price');
  return first.risk.multiplier;
}

/** Factor exposures of one structure unit bought: delta per underlying, vega per (underlying, bucket). */
export function structureExposures(legs: readonly StrategyLeg[]): FactorExposure[] {
  return legs.flatMap((l) => {
    const w = sideSign(l.side) * l.ratio;
    const out: FactorExposure[] = [{ underlying: l.risk.underlying, delta: w * l.risk.delta }];
    if (l.risk.vegaPerPoint !== 0 && l.risk.bucket !== 'perp')
      out.push({
        underlying: l.risk.underlying,
        bucket: l.risk.bucket,
        vegaPerPoint: w * l.risk.vegaPerPoint,
      });
    return out;
  });
}

/**
 * The book's exposure per underlying after the maker trades `units` structure units (positive = the maker
 * buys the structure, i.e. its bid is hit). Gross notional is revalued leg by leg (|q + Δq| is not linear).
 */
export function exposureAfter(
  input: Pick<StructureQuoteInput, 'legs' | 'inventory'>,
  spots: Readonly<Record<string, number>>,
  units: number,
): Record<string, UnderlyingExposure> {
  const out: Record<string, UnderlyingExposure> = {};
  for (const l of input.legs) {
    const u = l.risk.underlying;
    out[u] ??= { ...(input.inventory.byUnderlying[u] ?? zeroExposure()) };
  }
  for (const l of input.legs) {
    const e = out[l.risk.underlying]!;
    const dq = units * sideSign(l.side) * l.ratio;
    e.delta += dq * l.risk.delta;
    e.gamma += dq * l.risk.gamma;
    e.vegaPerPoint += dq * l.risk.vegaPerPoint;
    e.thetaPerDay += dq * l.risk.thetaPerDay;
    const q = input.inventory.quantities[l.risk.instrument] ?? 0;
    e.grossNotional += (Math.abs(q + dq) - Math.abs(q)) * l.risk.multiplier * (spots[l.risk.underlying] ?? 0);
  }
  return out;
}

/** Breaches caused by the maker trading `units` structure units (signed as in exposureAfter). */
export function tradeBreaches(
  input: Pick<StructureQuoteInput, 'legs' | 'inventory' | 'limits'>,
  spots: Readonly<Record<string, number>>,
  units: number,
): LimitBreach[] {
  const after = exposureAfter(input, spots, units);
  return Object.entries(after).flatMap(([u, e]) => {
    const limits = input.limits[u];
    return limits ? exposureBreaches(u, input.inventory.byUnderlying[u] ?? zeroExposure(), e, limits) : [];
  });
}

/**
 * Largest number of lots (0..maxLots) whose full fill on one side breaches no limit. The admissible sizes
 * form an interval from zero (every measure is convex in the size and admissible at zero), so a binary
 * search finds its end.
 */
export function maxLotsWithinLimits(
  input: Pick<StructureQuoteInput, 'legs' | 'inventory' | 'limits'>,
  spots: Readonly<Record<string, number>>,
  direction: 1 | -1,
  lot: number,
  maxLots: number,
): number {
  const fits = (lots: number) => tradeBreaches(input, spots, direction * lots * lot).length === 0;
  if (fits(maxLots)) return maxLots;
  let lo = 0; // fits
  let hi = maxLots; // does not fit
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Offered size before limits: min(RFQ quantity, maxSize), down to a whole number of structure lots. */
export function capSize(quantity: Decimal, maxSize: Decimal, lot: Decimal): Decimal {
  const capped = quantity.lt(maxSize) ? quantity : maxSize;
  return roundToStep(capped, lot, 'down');
}

/** Bid down and ask up to the tick: rounding only ever widens the quote. */
export function roundQuote(bid: number, ask: number, tick: Decimal): { bid: Decimal; ask: Decimal } {
  return {
    bid: roundToStep(new Decimal(bid), tick, 'down'),
    ask: roundToStep(new Decimal(ask), tick, 'up'),
  };
}

function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}

/** Prices and sizes one RFQ for one maker; see the module comment. */
export function quoteStructure(input: StructureQuoteInput): StructureQuote {
  const { legs, params, tick, lot } = input;
  if (legs.length === 0) throw new RangeError('a structure needs legs');
  const multiplier = structureMultiplier(legs);
  const markets = new Map(input.markets.map((m) => [m.underlying, m]));
  const underlyings = [...new Set(legs.map((l) => l.risk.underlying))].sort();
  const spots: Record<string, number> = {};
  for (const u of underlyings) {
    const m = markets.get(u);
    if (m === undefined) throw new RangeError(`no market for ${u}`);
    spots[u] = m.spot;
  }

  // Factor model over the structure's underlyings only: with no cross-underlying correlation configured,
  // the rest of the book does not move this structure's reservation price.
  const covariance = riskCovariance({
    underlyings: underlyings.map((u) => {
      const m = markets.get(u)!;
      return {
        underlying: u,
        spot: m.spot,
        vol: m.atmVol,
        volOfVol: volOfVolPoints(params.volOfVol, m.atmVol),
        spotVolCorrelation: params.spotVolCorrelation,
        buckets: EXPIRY_BUCKETS,
      };
    }),
    tau: params.horizonSeconds / SECONDS_PER_YEAR,
  });
  const inScope = new Set(underlyings);
  const g = exposureVector(covariance.factors, structureExposures(legs));
  const inventory = exposureVector(
    covariance.factors,
    input.inventory.exposures.filter((e) => inScope.has(e.underlying)),
  );

  const theo = structureTheo(legs);
  const gamma = riskAversionPerUsd(params.gamma, spots[legs[0]!.risk.underlying]!);
  const price = (quantity: number): RiskQuote =>
    quoteFromRisk({
      theo: theo * multiplier,
      g,
      inventory,
      covariance: covariance.covariance,
      gamma,
      k: params.k,
      quantity,
      baseHalfSpread: ((params.baseSpreadTicks * tick.toNumber()) / 2) * multiplier,
    });

  const notes: string[] = [];
  const size = capSize(input.quantity, params.maxSize, lot);
  const reference = price(size.toNumber());
  const base = {
    theo,
    reservation: reference.reservation / multiplier,
    shift: reference.shift / multiplier,
    g: Object.fromEntries(covariance.factors.map((f, i) => [f.key, g[i]!])),
  };
  if (size.isZero()) {
    notes.push(`size below one structure lot ${lot.toFixed()}`);
    return { ...base, bid: null, ask: null, notes };
  }

  const maxLots = size.div(lot).toNumber();
  const sized = (direction: 1 | -1, name: 'bid' | 'ask'): Decimal | null => {
    const lots = maxLotsWithinLimits(input, spots, direction, lot.toNumber(), maxLots);
    if (lots === maxLots) return size;
    const breach = tradeBreaches(input, spots, direction * (lots + 1) * lot.toNumber())[0];
    const why = breach ? `${breach.limit} on ${breach.underlying}` : 'a limit';
    if (lots === 0) {
      notes.push(`${name} dropped: one lot would breach ${why}`);
      return null;
    }
    notes.push(`${name} cut to ${lots} lots by ${why}`);
    return lot.mul(lots);
  };
  const bidSize = sized(1, 'bid');
  const askSize = sized(-1, 'ask');

  const side = (quantity: Decimal | null, which: 'bid' | 'ask'): QuoteSideResult | null => {
    if (quantity === null) return null;
    const q = quantity.eq(size) ? reference : price(quantity.toNumber());
    const rounded = roundQuote(q.bid / multiplier, q.ask / multiplier, tick);
    return { price: rounded[which], quantity };
  };
  let bid = side(bidSize, 'bid');
  let ask = side(askSize, 'ask');
  // A structure of bought options only is worth more than zero, one of sold options only less: a bid at
  // or below zero (or such an ask at or above) would pay the taker to take value away.
  const optionsOnly = legs.every((l) => l.risk.kind === 'OPTION');
  if (bid && optionsOnly && legs.every((l) => l.side === 'BUY') && !bid.price.gt(0)) {
    notes.push('bid dropped: not above zero for bought options');
    bid = null;
  }
  if (ask && optionsOnly && legs.every((l) => l.side === 'SELL') && !ask.price.lt(0)) {
    notes.push('ask dropped: not below zero for sold options');
    ask = null;
  }
  return { ...base, bid, ask, notes };
}
