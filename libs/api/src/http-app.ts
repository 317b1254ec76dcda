import { INestApplication, Logger, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig, beforeAppClose, DomainError, isShuttingDown } from '@app/core';
import {
  activeSpan,
  bookingDuration,
  DashboardAuthResult,
  httpRequestDuration,
  MonitoredQueues,
  mountQueueDashboard,
  rootLogger,
  runWithContext,
  secretsEqual,
} from '@app/observability';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { WebSocket } from 'ws';
import { ApiKeyRepository } from './auth/api-key.repository.js';
import { AuthService } from './auth/auth.service.js';
import { ErrorFilter } from './error.filter.js';

const NEST_LOG_LEVELS: Record<string, LogLevel[]> = {
  silent: [],
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  trace: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function nestLogLevels(level: string): LogLevel[] {
  return NEST_LOG_LEVELS[level] ?? NEST_LOG_LEVELS.info!;
}

/** The admin dashboard of the BullMQ queues (bull-board), behind HTTP Basic with an admin API key. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** How long a socket may take to answer the server's close frame at shutdown. */
const WS_CLOSE_GRACE_MS = 1_000;
const BOOKING_ROUTES: Record<string, string> = {
  '/v1/rfqs/:id/accept': 'accept',
  '/v1/rfqs/:id/execute': 'execute',
};
const QUIET_ROUTES = new Set(['/health', '/metrics']);

const CONTEXT = Symbol('rfq.request-context');
type TrackedRequest = FastifyRequest & {
  correlationId?: string;
  [CONTEXT]?: { resource: AsyncResource; span: ReturnType<typeof activeSpan> };
};

/**
 * Nest's WsAdapter terminates sockets at shutdown (no close frame, 1006 for the client). Close them
 * properly first (1001 with a reason, as WsGateway would), give clients a moment to answer, then
 * let the adapter finish.
 */
class GracefulWsAdapter extends WsAdapter {
  // WsGateway reads its own frames (JSON-RPC) and has no @SubscribeMessage handlers: Nest's
  // per-socket message pipeline (rxjs streams and listeners) would only cost memory per connection.
  override bindMessageHandlers(...args: Parameters<WsAdapter['bindMessageHandlers']>): void {
    if (args[1].length === 0) return;
    super.bindMessageHandlers(...args);
  }

  override async close(server: { clients?: Set<WebSocket> }): Promise<void> {
    const open = [...(server.clients ?? [])].filter((ws) => ws.readyState === ws.OPEN);
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, WS_CLOSE_GRACE_MS);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1001, 'server shutting down');
          }),
      ),
    );
    await super.close(server);
  }
}

/**
 * Builds the HTTP + WebSocket application for a root module (gateway or all-in-one): correlation
 * context, request logs and metrics, the queue dashboard, graceful socket close, OpenAPI.
 * `logger` is the Nest logger (the pino one from bootObservability) or a log level.
 */
export async function createHttpApp(
  rootModule: unknown,
  logger: string | LoggerService,
  bodyLimit: number,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit,
    genReqId: () => randomUUID(),
    // Router-level errors (bad URL encoding, over-long parameters) never reach Nest's filters.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      void reply.status(error.statusCode ?? 400).send({
        error: { code: 'REQUEST.MALFORMED', message: error.message, details: [], correlationId: request.id },
      });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, {
    logger: typeof logger === 'string' ? nestLogLevels(logger) : logger,
    bufferLogs: false,
    // Signatures cover the exact bytes sent.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  installRequestHooks(fastify);
  app.useGlobalFilters(new ErrorFilter());
  app.useWebSocketAdapter(new GracefulWsAdapter(app));
  await mountDashboard(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('RFQ platform API')
      .setDescription(
        'Signed REST (X-Api-Key, X-Api-Timestamp, X-Api-Signature = hex HMAC-SHA256 of timestamp + METHOD + path-with-query + body) and JSON-RPC 2.0 over WebSocket at /v1/ws. Decimals are strings.',
      )
      .setVersion('1')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

function installRequestHooks(fastify: FastifyInstance): void {
  // Correlation id (x-correlation-id or the request id) on the request, the response and, through
  // AsyncLocalStorage, on every log line written while handling it.
  fastify.addHook('onRequest', (request: TrackedRequest, reply: FastifyReply, done: () => void) => {
    const header = request.headers['x-correlation-id'];
    const id = typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : request.id;
    request.correlationId = id;
    void reply.header('x-correlation-id', id);
    if (isShuttingDown()) void reply.header('connection', 'close');
    runWithContext({ correlationId: id }, () => {
      const span = activeSpan();
      span?.setAttribute('rfq.correlation_id', id);
      const resource = new AsyncResource('rfq-request');
      request[CONTEXT] = { resource, span };
      resource.runInAsyncScope(done, request.raw);
    });
  });
  // Validation, guards and handlers run from the body stream's events, outside the context
  // entered above: enter it again.
  fastify.addHook('preValidation', (request: TrackedRequest, _reply: FastifyReply, done: () => void) => {
    const context = request[CONTEXT];
    if (context) context.resource.runInAsyncScope(done, request.raw);
    else done();
  });
  // While shutting down, even requests already in flight ask the client to reconnect (elsewhere).
  fastify.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply) => {
    if (isShuttingDown()) void reply.header('connection', 'close');
  });
  fastify.addHook('onResponse', async (request: TrackedRequest, reply: FastifyReply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    httpRequestDuration.observe({ method: request.method, route, status_code: String(status) }, seconds);
    const operation = request.method === 'POST' ? BOOKING_ROUTES[route] : undefined;
    if (operation) {
      const outcome = status < 300 ? 'booked' : status < 500 ? 'rejected' : 'error';
      bookingDuration.observe({ operation, outcome }, seconds);
    }
    const span = request[CONTEXT]?.span;
    if (span) {
      span.setAttribute('http.route', route);
      span.updateName(`${request.method} ${route}`);
    }
    const fields: Record<string, unknown> = {
      correlationId: request.correlationId,
      method: request.method,
      url: request.url,
      route,
      status,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      remote: request.ip,
    };
    const keyId = request.headers['x-api-key'];
    if (typeof keyId === 'string') fields.keyId = keyId;
    // Failed requests carry their headers (signatures and credentials redacted) for support.
    if (status >= 400) fields.headers = { ...request.headers };
    const level = status >= 500 ? 'error' : QUIET_ROUTES.has(route) ? 'debug' : 'info';
    rootLogger()[level](fields, 'request completed');
  });
}

async function mountDashboard(app: NestFastifyApplication): Promise<void> {
  let monitored: MonitoredQueues;
  let keys: ApiKeyRepository;
  let auth: AuthService;
  try {
    monitored = app.get(MonitoredQueues, { strict: false });
    keys = app.get(ApiKeyRepository, { strict: false });
    auth = app.get(AuthService, { strict: false });
  } catch {
    return; // an app without ObservabilityModule (or the API) has no dashboard
  }
  await mountQueueDashboard(app.getHttpAdapter().getInstance(), {
    queues: monitored.queues,
    basePath: QUEUE_DASHBOARD_PATH,
    async authenticate(keyId, secret): Promise<DashboardAuthResult> {
      const key = /^ak_[\w-]{1,64}$/.test(keyId) ? await keys.find(keyId) : null;
      if (!key) return 'unauthorized';
      try {
        // Guessing a secret is throttled like any other use of the key.
        await auth.rateLimit(key);
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'rate_limited') return 'rate_limited';
        throw error;
      }
      if (key.revoked || !secretsEqual(key.secret, secret)) return 'unauthorized';
      return key.scopes.includes('admin') && key.role === 'ADMIN' ? 'ok' : 'forbidden';
    },
  });
}

export async function listen(app: INestApplication, config: AppConfig, name: string): Promise<void> {
  await app.listen(config.PORT, config.HOST);
  // First step of a graceful shutdown: no new connection; requests in flight finish in app.close().
  beforeAppClose(
    'http',
    () => {
      const server = app.getHttpServer() as Server;
      if (server.listening) server.close();
    },
    10,
  );
  new Logger(name).log(`listening on http://${config.HOST}:${config.PORT}`);
}
