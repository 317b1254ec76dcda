import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import { tracingEnabled } from './metrics.js';

/**
 * OpenTelemetry tracing, entirely off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: the SDK is not
 * even loaded then, and `withSpan` / `annotateActiveSpan` return at once.
 *
 * When on: HTTP server spans (http instrumentation; the gateway names them `METHOD /route` and adds
 * the correlation id), a span per BullMQ job (workers.ts), and PostgreSQL and Redis client spans
 * under those (pg and ioredis instrumentations with requireParentSpan, so background polling does
 * not flood the collector). Spans go by OTLP/HTTP (JSON) to `${endpoint}/v1/traces`.
 *
 * ESM: pg, ioredis and http are CommonJS modules that the application imported (hoisted) before
 * this runs. The instrumentations hook `require`, so the modules are required here once more after
 * registration: they patch the prototypes those imports share. No loader flag is needed.
 */
const require = createRequire(import.meta.url);

let api: typeof OtelApi | null = null;
let provider: { shutdown(): Promise<void>; forceFlush(): Promise<void> } | null = null;

export interface TracingOptions {
  serviceName: string;
  endpoint: string | undefined;
  serviceVersion?: string;
}

export function isTracingEnabled(): boolean {
  return api !== null;
}

/** Starts tracing if an endpoint is configured; returns whether it is on. Idempotent. */
export function startTracing(options: TracingOptions): boolean {
  tracingEnabled.set(0);
  if (!options.endpoint) return false;
  if (api) return true;
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } =
    require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');

  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const tracerProvider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': `rfq-${options.serviceName}`,
      'service.version': options.serviceVersion ?? 'dev',
      'service.instance.id': `${process.pid}`,
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
        scheduledDelayMillis: 1_000,
        maxQueueSize: 4_096,
      }),
    ],
  });
  tracerProvider.register();
  registerInstrumentations({
    tracerProvider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/(metrics|health)\b/.test(request.url ?? ''),
        // The exporter's own requests must not be traced.
        ignoreOutgoingRequestHook: (request) => String(request.path ?? '').startsWith('/v1/traces'),
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  for (const name of ['node:http', 'node:https', 'pg', 'pg-pool', 'ioredis']) {
    try {
      require(name);
    } catch {
      // not installed in this image: nothing to patch
    }
  }
  api = require('@opentelemetry/api') as typeof OtelApi;
  provider = tracerProvider;
  tracingEnabled.set(1);
  return true;
}

/** Flushes and stops the exporter (shutdown). */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = null;
  api = null;
  tracingEnabled.set(0);
  await p?.shutdown().catch(() => undefined);
}

/** Runs `fn` in a new active span (a BullMQ job, a unit of background work); a plain call when off. */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const otel = api;
  if (!otel) return fn();
  const clean = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
  return otel.trace
    .getTracer('rfq-platform')
    .startActiveSpan(name, { kind: otel.SpanKind.CONSUMER, attributes: clean }, async (span) => {
      try {
        return await fn();
      } catch (error) {
        span.recordException(error instanceof Error ? error : new Error(String(error)));
        span.setStatus({ code: otel.SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}

/** The active span (e.g. the HTTP server span inside a request), to annotate later; null when off. */
export function activeSpan(): OtelApi.Span | null {
  return api?.trace.getActiveSpan() ?? null;
}
