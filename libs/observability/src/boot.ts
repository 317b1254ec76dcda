import type { LoggerService } from '@nestjs/common';
import { AppConfig, afterAppClose, beforeAppClose } from '@app/core';
import type { Logger as PinoLogger } from 'pino';
import { createLogger, PinoNestLogger } from './logger.js';
import { enableProcessMetrics } from './metrics.js';
import { serveMetrics } from './metrics-server.js';
import { startTracing, stopTracing } from './tracing.js';
import { closeWorkers, installWorkerInstrumentation } from './workers.js';

export interface Observability {
  logger: PinoLogger;
  /** Hand to NestFactory as `logger`: Nest and every `new Logger(...)` write JSON through pino. */
  nestLogger: LoggerService;
  tracing: boolean;
  /** Serves /metrics and /health on METRICS_PORT when set (engine, quoter). */
  serveMetricsIfConfigured(): Promise<void>;
}

/**
 * The first thing every entry point does after loading its configuration: JSON logs with the
 * correlation context, process metrics, tracing when an OTLP endpoint is configured, instrumented
 * BullMQ workers, fatal-error logging, and the drain steps of a graceful shutdown.
 */
export function bootObservability(app: string, config: AppConfig): Observability {
  const logger = createLogger({ app, level: config.LOG_LEVEL });
  enableProcessMetrics(app);
  const tracing = startTracing({ serviceName: app, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  if (tracing) logger.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }, 'tracing on: exporting spans');
  installWorkerInstrumentation();

  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection: exiting');
    process.exit(1);
  });

  // Workers get most of the shutdown bound to finish their jobs; the rest is for the hooks.
  beforeAppClose('workers', () => closeWorkers(Math.floor(config.SHUTDOWN_TIMEOUT_MS * 0.6)), 20);
  afterAppClose('tracing', stopTracing, 90);

  return {
    logger,
    nestLogger: new PinoNestLogger(logger),
    tracing,
    async serveMetricsIfConfigured() {
      if (config.METRICS_PORT === undefined) return;
      await serveMetrics(config.METRICS_PORT, config.HOST);
    },
  };
}
