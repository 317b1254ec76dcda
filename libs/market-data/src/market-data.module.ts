import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AppConfig } from '@app/core';
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
      providers: [MarketDataService, ...publishing],
      exports: [MarketDataService, ...(options.publish ? [MARKET_DATA_SOURCE, MarketDataPublisher] : [])],
    };
  }
}
