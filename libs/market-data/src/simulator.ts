/**
 * Seeded market simulator (pure: no timers, no clock). Spot follows geometric Brownian motion at the
 * current ATM vol; the ATM level and the skew move with spot (vol up and skew more negative in a
 * sell-off: the leverage effect seen in BTC and ETH options) and mean-revert slowly to their base
 * levels. One step is one tick of MARKET_DATA_INTERVAL_MS of real time, so a tick moves the price by
 * what the vol implies over that many milliseconds.
 */
import { createRng, type Rng } from '@app/pricing';
import { DEFAULT_REFERENCE_YEARS, type MarketSnapshot } from './market-snapshot.js';

export interface SimulatedUnderlying {
  readonly underlying: string;
  readonly s0: number;
  /** Base (and initial) 30-day ATM vol; spot diffuses at the current ATM vol. */
  readonly vol: number;
  /** Base (and initial) SSVI ρ. */
  readonly skew: number;
  readonly smile: number;
  readonly termSlope: number;
  /** d ln(atmVol) / d ln(spot): negative, vol rises when spot falls. */
  readonly spotVolBeta: number;
  /** dρ / d ln(spot): positive, skew turns more negative when spot falls. */
  readonly spotSkewBeta: number;
  /** Mean-reversion speed of ln(atmVol) and ρ to their base levels, per year. */
  readonly meanReversion: number;
  /** Idiosyncratic noise of ln(atmVol), per √year. */
  readonly volOfVol: number;
}

export const DEFAULT_SIMULATED_UNDERLYINGS: readonly SimulatedUnderlying[] = [
  {
    underlying: 'BTC',
    s0: 100_000,
    vol: 0.55,
    skew: -0.2,
    smile: 1,
    termSlope: 0.05,
    spotVolBeta: -1,
    spotSkewBeta: 1,
    meanReversion: 4,
    volOfVol: 1,
  },
  {
    underlying: 'ETH',
    s0: 3_500,
    vol: 0.7,
    skew: -0.15,
    smile: 1.1,
    termSlope: 0.05,
    spotVolBeta: -0.8,
    spotSkewBeta: 0.8,
    meanReversion: 4,
    volOfVol: 1.2,
  },
];

export interface SimulatorState {
  readonly underlying: string;
  readonly spot: number;
  readonly atmVol: number;
  readonly skew: number;
}

const MS_PER_YEAR = 365 * 24 * 60 * 60 * 1000;
const VOL_BOUNDS = [0.05, 3] as const;
const SKEW_BOUND = 0.9;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

export function initialState(params: SimulatedUnderlying): SimulatorState {
  return { underlying: params.underlying, spot: params.s0, atmVol: params.vol, skew: params.skew };
}

/**
 * One step of `dtYears` driven by two independent standard normals: `zSpot` moves spot, `zVol` is the
 * vol's own noise. Exposed with explicit shocks so the spot–vol response is testable without a seed.
 */
export function stepState(
  state: SimulatorState,
  params: SimulatedUnderlying,
  dtYears: number,
  zSpot: number,
  zVol: number,
): SimulatorState {
  const sigma = state.atmVol;
  // Martingale in price: E[S_{t+dt}] = S_t.
  const logReturn = -0.5 * sigma * sigma * dtYears + sigma * Math.sqrt(dtYears) * zSpot;
  const lnVol =
    Math.log(state.atmVol) +
    params.meanReversion * (Math.log(params.vol) - Math.log(state.atmVol)) * dtYears +
    params.spotVolBeta * logReturn +
    params.volOfVol * Math.sqrt(dtYears) * zVol;
  const skew =
    state.skew +
    params.meanReversion * (params.skew - state.skew) * dtYears +
    params.spotSkewBeta * logReturn;
  return {
    underlying: state.underlying,
    spot: state.spot * Math.exp(logReturn),
    atmVol: clamp(Math.exp(lnVol), VOL_BOUNDS[0], VOL_BOUNDS[1]),
    skew: clamp(skew, -SKEW_BOUND, SKEW_BOUND),
  };
}

export function snapshotOf(
  state: SimulatorState,
  params: SimulatedUnderlying,
  timestamp: number,
): MarketSnapshot {
  return {
    underlying: state.underlying,
    spot: state.spot,
    timestamp,
    atmVol: state.atmVol,
    skew: state.skew,
    surface: {
      smile: params.smile,
      termSlope: params.termSlope,
      carry: 0,
      referenceYears: DEFAULT_REFERENCE_YEARS,
    },
    source: 'simulator',
  };
}

export interface MarketSimulatorOptions {
  readonly seed: number;
  readonly intervalMs: number;
  readonly underlyings?: readonly SimulatedUnderlying[];
}

/**
 * The simulated market of several underlyings. Each underlying draws from its own stream forked from
 * the seed in a fixed order, so the path of BTC does not depend on how often ETH is read.
 */
export class MarketSimulator {
  readonly dtYears: number;
  private readonly entries: Array<{ params: SimulatedUnderlying; rng: Rng; state: SimulatorState }>;
  private stepCount = 0;

  constructor(options: MarketSimulatorOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${options.intervalMs}`);
    this.dtYears = options.intervalMs / MS_PER_YEAR;
    const root = createRng(options.seed);
    this.entries = (options.underlyings ?? DEFAULT_SIMULATED_UNDERLYINGS).map((params) => ({
      params,
      rng: root.fork(),
      state: initialState(params),
    }));
  }

  get steps(): number {
    return this.stepCount;
  }

  states(): SimulatorState[] {
    return this.entries.map((e) => e.state);
  }

  /** Advances every underlying by one interval. */
  step(): SimulatorState[] {
    this.stepCount++;
    for (const e of this.entries) {
      const zSpot = e.rng.nextNormal();
      const zVol = e.rng.nextNormal();
      e.state = stepState(e.state, e.params, this.dtYears, zSpot, zVol);
    }
    return this.states();
  }

  snapshots(timestamp: number): MarketSnapshot[] {
    return this.entries.map((e) => snapshotOf(e.state, e.params, timestamp));
  }
}
