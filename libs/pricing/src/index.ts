export { erf, erfc, erfcx, millsRatio, normCdf, normPdf } from './normal.js';
export {
  black76,
  type Black76Input,
  black76Price,
  type Black76Result,
  type Greeks,
  linearGreeks,
  type OptionType,
} from './black76.js';
export {
  impliedVol,
  type ImpliedVolErrorCode,
  type ImpliedVolInput,
  type ImpliedVolResult,
} from './implied-vol.js';
export {
  type ArbitrageCheck,
  calibrateSvi,
  type CalibrateSviOptions,
  checkSviButterfly,
  type KGridOptions,
  type SmilePoint,
  sviDensityFactor,
  sviDerivatives,
  type SviFit,
  sviMinimumVariance,
  type SviSlice,
  sviTotalVariance,
  sviVol,
} from './svi.js';
export {
  buildSurface,
  type BuildSurfaceResult,
  defaultSurface,
  type DefaultSurfaceParams,
  type SurfaceInput,
  type SurfaceSlice,
  surfaceForward,
  surfaceTotalVariance,
  surfaceVol,
  type VolSurface,
} from './surface.js';
export {
  exposureVector,
  type FactorExposure,
  liquidityHalfSpread,
  quoteFromRisk,
  type QuoteFromRiskInput,
  riskCovariance,
  type RiskCovariance,
  type RiskCovarianceInput,
  type RiskFactor,
  type RiskQuote,
  type UnderlyingRisk,
} from './skew.js';
export {
  type BookShape,
  depthSlippage,
  type Execution,
  hedgeDecision,
  type HedgeBand,
  whalleyWilmottBand,
  type WhalleyWilmottInput,
} from './hedging.js';
export {
  DEFAULT_SPOT_SHOCKS,
  DEFAULT_VOL_SHOCKS,
  EXPIRY_BUCKETS,
  type ExpiryBucket,
  expiryBucket,
  type FuturePosition,
  marketFromSurfaces,
  type MarketUnderlying,
  type OptionPosition,
  type PerpPosition,
  portfolioGreeks,
  type PortfolioGreeks,
  type PortfolioRisk,
  type PositionSpec,
  stressGrid,
  type StressMarket,
  type StressOptions,
  type StressResult,
} from './stress.js';
export { createRng, type Rng, rngFromState } from './random.js';
export {
  AS_PAPER_PARAMS,
  type AsSimulationParams,
  type AsSimulationResult,
  formatAsTable,
  simulateAvellanedaStoikov,
  type StrategyStats,
} from './as-simulation.js';
export { nelderMead, type Matrix } from './linear-algebra.js';
