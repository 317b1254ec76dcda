import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';

export type DashboardAuthResult = 'ok' | 'unauthorized' | 'forbidden' | 'rate_limited';

export interface QueueDashboardOptions {
  queues: Queue[];
  /** Mount point, e.g. /admin/queues. */
  basePath: string;
  /** Checks HTTP Basic credentials: user = admin API key id, password = its secret. */
  authenticate(keyId: string, secret: string): Promise<DashboardAuthResult>;
}

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * bull-board at `basePath`, behind HTTP Basic authentication with an admin API key (key id as the
 * user name, secret as the password; the key needs the admin scope). Browsers remember Basic
 * credentials for the session, which a signed-request API key cannot offer. Serve it over TLS only.
 * State-changing calls (retry, clean, promote) must come from the dashboard's own origin.
 */
export async function mountQueueDashboard(
  fastify: FastifyInstance,
  options: QueueDashboardOptions,
): Promise<void> {
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: options.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'RFQ platform queues' } },
  });

  const CODES = { 401: 'AUTH.UNAUTHORIZED', 403: 'AUTH.FORBIDDEN', 429: 'RATE_LIMITED' } as const;
  const challenge = (reply: FastifyReply, status: 401 | 403 | 429, message: string) => {
    if (status === 401) void reply.header('www-authenticate', 'Basic realm="rfq-admin", charset="UTF-8"');
    if (status === 429) void reply.header('retry-after', '1');
    return reply
      .status(status)
      .header('cache-control', 'no-store')
      .send({ error: { code: CODES[status], message } });
  };

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const credentials = parseBasic(request.headers.authorization);
      if (!credentials) return challenge(reply, 401, 'admin API key id and secret required (HTTP Basic)');
      const result = await options.authenticate(credentials.user, credentials.password);
      if (result === 'unauthorized') return challenge(reply, 401, 'unknown key or wrong secret');
      if (result === 'forbidden') return challenge(reply, 403, 'this key lacks the admin scope');
      if (result === 'rate_limited') return challenge(reply, 429, 'too many attempts');
      const origin = request.headers.origin;
      if (request.method !== 'GET' && request.method !== 'HEAD' && origin) {
        const host = request.headers['x-forwarded-host'] ?? request.headers.host;
        let originHost: string | null;
        try {
          originHost = new URL(origin).host;
        } catch {
          originHost = null;
        }
        if (originHost !== host) return challenge(reply, 403, 'cross-origin change refused');
      }
      void reply.header('cache-control', 'no-store');
    });
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: options.basePath });
  });
}
