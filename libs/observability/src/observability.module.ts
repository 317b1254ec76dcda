import { DynamicModule, Global, Module } from '@nestjs/common';
import { ClusterMetrics } from './cluster-metrics.js';
import { MonitoredQueues } from './monitored-queues.js';

/**
 * For the HTTP apps (gateway, platform): queue handles for the dashboard and the platform-wide
 * gauges served by /metrics. Global, so the metrics controller can inject ClusterMetrics.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [MonitoredQueues, ClusterMetrics],
      exports: [MonitoredQueues, ClusterMetrics],
    };
  }
}
