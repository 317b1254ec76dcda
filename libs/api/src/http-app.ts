import { INestApplication, Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '@app/core';
import { randomUUID } from 'node:crypto';
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

/** Builds the HTTP + WebSocket application for a root module (gateway or all-in-one). */
export async function createHttpApp(
  rootModule: unknown,
  logLevel: string,
  bodyLimit: number,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit, genReqId: () => randomUUID() });
  const app = await NestFactory.create<NestFastifyApplication>(rootModule as never, adapter, {
    logger: nestLogLevels(logLevel),
    bufferLogs: false,
    // Signatures cover the exact bytes sent.
    rawBody: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    const header = request.headers['x-correlation-id'];
    const id = typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : request.id;
    (request as unknown as { correlationId: string }).correlationId = id;
    void reply.header('x-correlation-id', id);
  });
  app.useGlobalFilters(new ErrorFilter());
  app.useWebSocketAdapter(new WsAdapter(app));
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

export async function listen(app: INestApplication, config: AppConfig, name: string): Promise<void> {
  await app.listen(config.PORT, config.HOST);
  new Logger(name).log(`listening on http://${config.HOST}:${config.PORT}`);
}
