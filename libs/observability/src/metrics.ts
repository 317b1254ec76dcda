import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type Metric } from 'prom-client';

/**
 * Every instrument of the platform, on prom-client's default registry (so metrics that other
 * libraries register there are scraped too). Names start with `rfq_`; see docs/operations.md.
 */
export const metricsRegistry = register;

/** Registers a metric, replacing one of the same name (a second app in one process, tests). */
export function instrument<M extends Metric>(create: () => M, name: string): M {
  register.removeSingleMetric(name);
  return create();
}

let defaultsOn = false;
/** Process metrics (CPU, memory, event loop lag, GC, handles) and the `app` label on every series. */
export function enableProcessMetrics(app: string): void {
  if (defaultsOn) return;
  defaultsOn = true;
  register.setDefaultLabels({ app });
  collectDefaultMetrics({ register });
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestDuration = instrument(
  () =>
    new Histogram({
      name: 'rfq_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status: rate from _count, latency from the buckets',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
    }),
  'rfq_http_request_duration_seconds',
);

export const bookingDuration = instrument(
  () =>
    new Histogram({
      name: 'rfq_booking_duration_seconds',
      help: 'Accept and execute requests as the gateway sees them (authentication, auction, booking transaction, response)',
      labelNames: ['operation', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
    }),
  'rfq_booking_duration_seconds',
);

export const jobDuration = instrument(
  () =>
    new Histogram({
      name: 'rfq_job_duration_seconds',
      help: 'BullMQ job processing time in this process, by queue, job name and outcome',
      labelNames: ['queue', 'name', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
    }),
  'rfq_job_duration_seconds',
);

export const jobWait = instrument(
  () =>
    new Histogram({
      name: 'rfq_job_wait_seconds',
      help: 'Time a BullMQ job waited between becoming ready (added, or its delay elapsed) and starting',
      labelNames: ['queue'] as const,
      buckets: LATENCY_BUCKETS,
    }),
  'rfq_job_wait_seconds',
);

export const jobsActive = instrument(
  () =>
    new Gauge({
      name: 'rfq_jobs_active',
      help: 'BullMQ jobs being processed by this process right now',
      labelNames: ['queue'] as const,
    }),
  'rfq_jobs_active',
);

export const jobsStalled = instrument(
  () =>
    new Counter({
      name: 'rfq_jobs_stalled_total',
      help: 'Jobs this process found stalled (their worker died or blocked the event loop past the lock) and moved back to wait',
      labelNames: ['queue'] as const,
    }),
  'rfq_jobs_stalled_total',
);

export const jobsFailed = instrument(
  () =>
    new Counter({
      name: 'rfq_jobs_failed_total',
      help: 'Job attempts that threw in this process (retried while attempts remain)',
      labelNames: ['queue', 'name'] as const,
    }),
  'rfq_jobs_failed_total',
);

export const tracingEnabled = instrument(
  () =>
    new Gauge({
      name: 'rfq_tracing_enabled',
      help: '1 when OpenTelemetry traces are exported (OTEL_EXPORTER_OTLP_ENDPOINT set), else 0',
    }),
  'rfq_tracing_enabled',
);

let wsConnectionSource: (() => number) | null = null;
export const wsConnections = instrument(
  () =>
    new Gauge({
      name: 'rfq_ws_connections',
      help: 'Open WebSocket connections on this gateway',
      collect() {
        this.set(wsConnectionSource ? wsConnectionSource() : 0);
      },
    }),
  'rfq_ws_connections',
);

/** The gateway tells the gauge how to count its sockets. */
export function countWsConnectionsWith(source: () => number): void {
  wsConnectionSource = source;
}

/** The Prometheus text exposition of every registered metric. */
export function renderMetrics(): Promise<string> {
  return register.metrics();
}

export const METRICS_CONTENT_TYPE = register.contentType;
