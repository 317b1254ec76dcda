import { isShuttingDown } from '@app/core';
import { createServer, type Server } from 'node:http';
import { rootLogger } from './logger.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';

/**
 * /metrics and /health for the processes without an HTTP API (engine, quoter), on METRICS_PORT.
 * /health is 200 while running and 503 once shutdown began.
 */
export async function serveMetrics(port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/metrics') {
      renderMetrics().then(
        (body) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(body),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    } else if (path === '/health') {
      const stopping = isShuttingDown();
      response
        .writeHead(stopping ? 503 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: stopping ? 'stopping' : 'ok' }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  rootLogger().info({ port: bound }, `metrics on http://${host}:${bound}/metrics`);
  return server;
}
