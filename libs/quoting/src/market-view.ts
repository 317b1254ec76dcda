/**
 * Adapters from market snapshots and instruments to the risk inputs of the strategy, the gate and the
 * report. Pure: the snapshot is passed in (fresh or not is the caller's decision).
 */
import {
  DISCOUNT_RATE,
  type MarketSnapshot,
  surfaceFor,
  type Valuation,
  valueInstrument,
  yearsBetween,
} from '@app/market-data';
import { expiryBucket, type PositionSpec, type StressMarket, surfaceVol } from '@app/pricing';
import type { InstrumentInfo } from '@app/rfq';
import type { InstrumentRisk } from './risk-measures.js';

/** The surface has no variance at T = 0: vols are read at no less than a minute (as volFor does). */
const MIN_VOL_YEARS = 60_000 / (365 * 24 * 60 * 60 * 1000);

export function bucketOf(instrument: Pick<InstrumentInfo, 'kind' | 'expiry'>, now: Date): string {
  if (instrument.kind === 'PERPETUAL' || instrument.expiry === null) return 'perp';
  return expiryBucket(yearsBetween(now, instrument.expiry));
}

/** Per-contract risk from a valuation (valueInstrument / MarketDataService.value). */
export function instrumentRisk(instrument: InstrumentInfo, valuation: Valuation, now: Date): InstrumentRisk {
  return {
    instrument: instrument.name,
    underlying: instrument.underlying,
    kind: instrument.kind,
    multiplier: instrument.multiplier.toNumber(),
    bucket: bucketOf(instrument, now),
    mark: valuation.price,
    delta: valuation.greeks.delta,
    gamma: valuation.greeks.gamma,
    vegaPerPoint: valuation.greeks.vegaPerPoint,
    thetaPerDay: valuation.greeks.thetaPerDay,
  };
}

/** Per-contract risk valued against `snapshot`. */
export function riskAt(snapshot: MarketSnapshot, instrument: InstrumentInfo, now: Date): InstrumentRisk {
  return instrumentRisk(instrument, valueInstrument(snapshot, instrument, now), now);
}

/**
 * What is known without fresh market data: a future or perpetual has delta = multiplier per contract (the
 * F/S basis is ignored), an option contributes nothing (its Greeks need a market). Used by the settlement
 * gate when the data is stale, so linear exposure stays limited even then.
 */
export function linearFallbackRisk(instrument: InstrumentInfo, now: Date): InstrumentRisk {
  const multiplier = instrument.multiplier.toNumber();
  return {
    instrument: instrument.name,
    underlying: instrument.underlying,
    kind: instrument.kind,
    multiplier,
    bucket: bucketOf(instrument, now),
    mark: 0,
    delta: instrument.kind === 'OPTION' ? 0 : multiplier,
    gamma: 0,
    vegaPerPoint: 0,
    thetaPerDay: 0,
  };
}

/** The instrument as a stress-grid position. */
export function positionSpec(instrument: InstrumentInfo, quantity: number, now: Date): PositionSpec {
  const base = {
    underlying: instrument.underlying,
    quantity,
    multiplier: instrument.multiplier.toNumber(),
  };
  if (instrument.kind === 'PERPETUAL' || instrument.expiry === null) return { ...base, kind: 'perp' };
  const years = yearsBetween(now, instrument.expiry);
  if (instrument.kind === 'FUTURE') return { ...base, kind: 'future', years };
  return {
    ...base,
    kind: 'option',
    type: instrument.optionType === 'PUT' ? 'put' : 'call',
    strike: instrument.strike!.toNumber(),
    years,
  };
}

/** Stress market from snapshots: the same forwards and surface vols as valueInstrument. */
export function stressMarketFor(snapshots: readonly MarketSnapshot[]): StressMarket {
  const byName = new Map(snapshots.map((s) => [s.underlying, s]));
  return {
    underlyings: Object.fromEntries(
      snapshots.map((s) => [
        s.underlying,
        { spot: s.spot, forward: (years: number) => s.spot * Math.exp(s.surface.carry * years) },
      ]),
    ),
    vol: (underlying, strike, years, forward) => {
      const s = byName.get(underlying);
      if (s === undefined) throw new RangeError(`no market data for ${underlying}`);
      return surfaceVol(surfaceFor(s), strike, Math.max(years, MIN_VOL_YEARS), forward);
    },
    rate: DISCOUNT_RATE,
  };
}
