import { DomainError } from '@app/core';

/**
 * No snapshot, or one older than MARKET_DATA_MAX_AGE_MS: pricing refuses rather than quote on an old
 * market. `unavailable` maps to 503 at the API.
 */
export class MarketDataUnavailableError extends DomainError {
  constructor(
    readonly underlying: string,
    readonly ageMs: number,
  ) {
    super(
      Number.isFinite(ageMs) ? 'MARKET_DATA.STALE' : 'MARKET_DATA.UNAVAILABLE',
      Number.isFinite(ageMs)
        ? `market data for ${underlying} is ${ageMs} ms old`
        : `no market data for ${underlying}`,
      'unavailable',
    );
  }
}
