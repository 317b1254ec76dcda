import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig, LEG_THEO_SOURCE, LegTheoSource, MARK_SOURCE, MarkSource } from '@app/core';
import type { PricedInstrument } from './market-snapshot.js';
import { DeribitSource } from './deribit.source.js';
import { MarketDataPublisher } from './market-data.publisher.js';
import { MarketDataService } from './market-data.service.js';
import { MARKET_DATA_SOURCE, type MarketDataSource } from './market-data.source.js';
import { SimulatorSource } from './simulator.source.js';

/** The configured source; the Deribit adapter (and its socket) exists only when selected. */
export function createMarketDataSource(config: AppConfig): MarketDataSource {
  switch (config.MARKET_DATA_SOURCE) {
    case 'simulator':
      return new SimulatorSource({
        seed: config.MARKET_DATA_SEED,
        intervalMs: config.MARKET_DATA_INTERVAL_MS,
      });
    case 'deribit':
      return new DeribitSource({ intervalMs: config.MARKET_DATA_INTERVAL_MS });
  }
}

/**
 * `MarketDataService` everywhere; the source and `MarketDataPublisher` only where `publish: true` (the
 * engine: one publisher per deployment). Sources start on application bootstrap and stop in the
 * shutdown hooks, so `app.close()` leaves no timer or socket behind.
 */
@Global()
@Module({})
export class MarketDataModule {
  static forRoot(options: { publish: boolean }): DynamicModule {
    const publishing: Provider[] = options.publish
      ? [
          { provide: MARKET_DATA_SOURCE, inject: [AppConfig], useFactory: createMarketDataSource },
          MarketDataPublisher,
        ]
      : [];
    return {
      module: MarketDataModule,
      providers: [
        MarketDataService,
        ...publishing,
        { provide: MARK_SOURCE, inject: [MarketDataService], useFactory: markSource },
        { provide: LEG_THEO_SOURCE, inject: [MarketDataService], useFactory: theoSource },
      ],
      exports: [
        MarketDataService,
        MARK_SOURCE,
        LEG_THEO_SOURCE,
        ...(options.publish ? [MARKET_DATA_SOURCE, MarketDataPublisher] : []),
      ],
    };
  }
}

/** Marks for the API: null rather than an error when the data is missing or stale. */
function markSource(market: MarketDataService): MarkSource {
  return {
    markOf(instrument) {
      try {
        const v = market.value(instrument as PricedInstrument);
        const snapshot = market.latest(instrument.underlying);
        return { price: v.price, greeks: { ...v.greeks }, timestamp: snapshot?.timestamp ?? Date.now() };
      } catch {
        return null;
      }
    },
  };
}

/** Leg theos for settlement's price split: without fresh data the split falls back to its default. */
function theoSource(market: MarketDataService): LegTheoSource {
  return {
    theo(instrument) {
      try {
        return market.mark(instrument as PricedInstrument);
      } catch {
        return null;
      }
    },
  };
}
