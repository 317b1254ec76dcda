import { Inject, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, WebSocketGateway } from '@nestjs/websockets';
import { AppConfig, DomainError } from '@app/core';
import { PG_POOL } from '@app/db';
import { BusEvent, EventBus, RecentIds } from '@app/events';
import { quoteJson, QuoteService } from '@app/rfq';
import { BookingRepository } from '@app/settlement';
import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import type { WebSocket } from 'ws';
import { ApiKeyRepository } from '../auth/api-key.repository.js';
import { AuthService, Principal, requireScope, toPrincipal } from '../auth/auth.service.js';
import { signatureMatches, signaturePayload } from '../auth/signature.js';
import { cancelAllSchema, parse, replaceQuoteSchema, submitQuoteSchema, uuid } from '../http/validation.js';
import { z } from 'zod';

type Channel = 'rfqs' | 'quotes' | 'trades';
const CHANNELS: Channel[] = ['rfqs', 'quotes', 'trades'];

interface Session {
  socket: WebSocket;
  principal: Principal | null;
  channels: Set<Channel>;
  alive: boolean;
  cancelOnDisconnect: boolean;
  /** Quotes this connection submitted: the scope of its cancel-on-disconnect. */
  quoteIds: Set<string>;
}

interface RpcRequest {
  jsonrpc: '2.0';
  id?: string | number | null;
  method: string;
  params?: unknown;
}

const rpcError = (code: number, message: string, data?: unknown) => ({ code, message, data });
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * JSON-RPC 2.0 over a plain WebSocket at /v1/ws: auth, subscriptions, and the quoting methods for
 * makers who live on the socket. Pushes arrive through the event bus, so a client connected to any
 * gateway instance sees what happened on any other.
 */
@WebSocketGateway({ path: '/v1/ws' })
export class WsGateway
  implements OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnApplicationShutdown
{
  private readonly logger = new Logger(WsGateway.name);
  private readonly sessions = new Map<WebSocket, Session>();
  private readonly seen = new RecentIds();
  private readonly byAccount = new Map<string, Set<Session>>();
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly auth: AuthService,
    private readonly keys: ApiKeyRepository,
    private readonly quotes: QuoteService,
    private readonly bus: EventBus,
    private readonly config: AppConfig,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly bookings: BookingRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe((event) => this.route(event));
    this.heartbeat = setInterval(() => this.beat(), this.config.WS_HEARTBEAT_MS);
  }

  onApplicationShutdown(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unsubscribe?.();
    for (const s of this.sessions.values()) s.socket.close(1001, 'server shutting down');
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  handleConnection(socket: WebSocket, _request: IncomingMessage): void {
    const session: Session = {
      socket,
      principal: null,
      channels: new Set(),
      alive: true,
      cancelOnDisconnect: true,
      quoteIds: new Set(),
    };
    this.sessions.set(socket, session);
    socket.on('pong', () => (session.alive = true));
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      void this.onMessage(session, raw, isBinary);
    });
  }

  handleDisconnect(socket: WebSocket): void {
    const session = this.sessions.get(socket);
    if (!session) return;
    this.sessions.delete(socket);
    const p = session.principal;
    if (!p) return;
    const peers = this.byAccount.get(p.accountId);
    peers?.delete(session);
    if (peers && peers.size === 0) this.byAccount.delete(p.accountId);
    // Cancel on disconnect: the quotes this connection put up must not outlive it.
    if (p.role === 'MAKER' && session.cancelOnDisconnect && session.quoteIds.size > 0) {
      this.quotes
        .cancelAll(
          { ...p, correlationId: null },
          { onlyCancelOnDisconnect: true, quoteIds: [...session.quoteIds], reason: 'cancel on disconnect' },
        )
        .catch((error: unknown) =>
          this.logger.warn(`cancel on disconnect failed for ${p.accountId}: ${String(error)}`),
        );
    }
  }

  /** Ping every interval; a connection that did not answer the previous ping is terminated. */
  private beat(): void {
    for (const s of this.sessions.values()) {
      if (!s.alive) {
        s.socket.terminate();
        continue;
      }
      s.alive = false;
      s.socket.ping();
    }
  }

  private send(session: Session, payload: unknown): void {
    if (session.socket.readyState === 1) session.socket.send(JSON.stringify(payload));
  }

  private async onMessage(session: Session, raw: Buffer, isBinary: boolean): Promise<void> {
    let request: RpcRequest;
    try {
      if (isBinary || raw.length > MAX_MESSAGE_BYTES) throw new Error('too large or binary');
      request = JSON.parse(raw.toString('utf8')) as RpcRequest;
      if (request?.jsonrpc !== '2.0' || typeof request.method !== 'string')
        throw new Error('not JSON-RPC 2.0');
    } catch {
      this.send(session, {
        jsonrpc: '2.0',
        id: null,
        error: rpcError(-32700, 'parse error: send JSON-RPC 2.0 text frames'),
      });
      return;
    }
    const id = request.id ?? null;
    try {
      const result = await this.dispatch(session, request);
      this.send(session, { jsonrpc: '2.0', id, result });
    } catch (error) {
      if (error instanceof DomainError) {
        this.send(session, {
          jsonrpc: '2.0',
          id,
          error: rpcError(error.kind === 'bad_request' ? -32602 : -32000, error.message, {
            code: error.code,
            details: error.details,
          }),
        });
      } else {
        this.logger.error(`ws ${request.method}: ${String(error)}`);
        this.send(session, {
          jsonrpc: '2.0',
          id,
          error: rpcError(-32603, 'internal error', { code: 'INTERNAL' }),
        });
      }
    }
  }

  private principalOf(session: Session): Principal {
    if (!session.principal) throw new DomainError('AUTH.REQUIRED', 'call auth first', 'unauthorized');
    return session.principal;
  }

  private async dispatch(session: Session, request: RpcRequest): Promise<unknown> {
    switch (request.method) {
      case 'auth':
        return this.authenticate(session, request.params);
      case 'subscribe':
      case 'unsubscribe': {
        this.principalOf(session);
        const { channels } = parse(
          z.strictObject({ channels: z.array(z.enum(CHANNELS)).min(1) }),
          request.params,
        );
        for (const c of channels) {
          if (request.method === 'subscribe') session.channels.add(c);
          else session.channels.delete(c);
        }
        return { channels: [...session.channels] };
      }
      case 'set_cancel_on_disconnect': {
        this.principalOf(session);
        session.cancelOnDisconnect = parse(z.strictObject({ enabled: z.boolean() }), request.params).enabled;
        return { cancelOnDisconnect: session.cancelOnDisconnect };
      }
      case 'quote.submit':
        return this.withTrade(session, async (p) => {
          const { quote } = await this.quotes.submit(p, parse(submitQuoteSchema, request.params));
          session.quoteIds.add(quote.id);
          return quoteJson(quote);
        });
      case 'quote.replace':
        return this.withTrade(session, async (p) => {
          const params = parse(z.object({ quoteId: uuid }).passthrough(), request.params);
          const { quoteId, ...rest } = params as { quoteId: string } & Record<string, unknown>;
          const quote = await this.quotes.replace(p, quoteId, parse(replaceQuoteSchema, rest));
          session.quoteIds.delete(quoteId);
          session.quoteIds.add(quote.id);
          return quoteJson(quote);
        });
      case 'quote.cancel':
        return this.withTrade(session, async (p) =>
          quoteJson(
            await this.quotes.cancel(p, parse(z.strictObject({ quoteId: uuid }), request.params).quoteId),
          ),
        );
      case 'quote.cancel_all':
        return this.withTrade(session, async (p) => ({
          cancelled: (
            await this.quotes.cancelAll(p, {
              rfqId: parse(cancelAllSchema, request.params).rfqId,
              reason: 'cancel all (socket)',
            })
          ).map((q) => q.id),
        }));
      case 'ping':
        return { pong: Date.now() };
      default:
        throw new DomainError('RPC.METHOD_NOT_FOUND', `unknown method ${request.method}`, 'bad_request');
    }
  }

  private async withTrade<T>(session: Session, work: (p: Principal) => Promise<T>): Promise<T> {
    const p = this.principalOf(session);
    requireScope(p, 'trade');
    if (p.role !== 'MAKER') throw new DomainError('ACCOUNT.NOT_MAKER', 'quoting is for makers', 'forbidden');
    await this.auth.rateLimit(p);
    return work(p);
  }

  private async authenticate(session: Session, params: unknown): Promise<unknown> {
    const { apiKey, timestamp, signature } = parse(
      z.strictObject({
        apiKey: z.string().max(80),
        timestamp: z.union([z.string(), z.number()]).transform(String),
        signature: z.string().max(128),
      }),
      params,
    );
    if (
      !/^\d{13}$/.test(timestamp) ||
      Math.abs(Date.now() - Number(timestamp)) > this.config.SIGNATURE_WINDOW_MS
    ) {
      throw new DomainError('AUTH.STALE_TIMESTAMP', 'timestamp outside the accepted window', 'unauthorized');
    }
    const key = /^ak_[\w-]{1,64}$/.test(apiKey) ? await this.keys.find(apiKey) : null;
    if (!key) throw new DomainError('AUTH.UNKNOWN_KEY', 'unknown API key', 'unauthorized');
    if (key.revoked) throw new DomainError('AUTH.REVOKED_KEY', 'API key revoked', 'unauthorized');
    if (
      !signatureMatches(key.secret, signaturePayload(timestamp, 'GET', '/v1/ws', ''), signature.toLowerCase())
    ) {
      throw new DomainError('AUTH.BAD_SIGNATURE', 'signature does not match', 'unauthorized');
    }
    await this.auth.rateLimit(key);
    const principal = toPrincipal(key);
    session.principal = principal;
    const peers = this.byAccount.get(principal.accountId) ?? new Set<Session>();
    peers.add(session);
    this.byAccount.set(principal.accountId, peers);
    return {
      accountId: principal.accountId,
      account: principal.accountName,
      role: principal.role,
      scopes: principal.scopes,
    };
  }

  private push(accountId: string | null | undefined, channel: Channel, data: unknown): boolean {
    if (!accountId) return false;
    let delivered = false;
    for (const s of this.byAccount.get(accountId) ?? []) {
      if (!s.channels.has(channel)) continue;
      this.send(s, { jsonrpc: '2.0', method: 'subscription', params: { channel, data } });
      delivered = true;
    }
    return delivered;
  }

  /** Routes one event to the sockets allowed to see it, and nowhere else. */
  private route(event: BusEvent): void {
    if (!event.redelivery && !this.seen.firstSight(event.id)) return;
    const p = event.payload as Record<string, unknown> & {
      takerId?: string;
      makerId?: string;
      makers?: string[];
      routedToAll?: boolean;
      disclosed?: boolean;
    };
    const meta = { event: event.type, eventId: event.id };
    if (event.type.startsWith('rfq.')) {
      const { makers, routedToAll, ...rest } = p;
      this.push(p.takerId, 'rfqs', { ...meta, ...rest });
      const forMakers = {
        ...meta,
        ...rest,
        takerId: p.disclosed ? p.takerId : undefined,
        clientRfqId: undefined,
        autoExecute: undefined,
      };
      for (const [accountId, sessions] of this.byAccount) {
        const role = sessions.values().next().value?.principal?.role;
        if (role !== 'MAKER') continue;
        if (routedToAll || (makers ?? []).includes(accountId)) this.push(accountId, 'rfqs', forMakers);
      }
    } else if (event.type.startsWith('quote.')) {
      this.push(p.makerId, 'quotes', { ...meta, ...p, takerId: undefined });
      this.push(p.takerId, 'quotes', {
        ...meta,
        ...p,
        makerId: undefined,
        clientQuoteId: undefined,
        takerId: undefined,
      });
    } else if (event.type === 'control.changed') {
      // A maker frozen by an admin or by its own protection learns it on its quotes channel.
      this.push(p.makerId, 'quotes', { ...meta, ...p });
    } else if (event.type === 'fill.booked') {
      const toTaker = this.push(p.takerId, 'trades', { ...meta, ...p });
      const toMaker = this.push(p.makerId, 'trades', { ...meta, ...p });
      const delivered = [toTaker ? p.takerId : null, toMaker ? p.makerId : null].filter(
        (a): a is string => !!a,
      );
      this.bookings
        .markConfirmationsDelivered(this.pool, event.aggregateId, delivered)
        .catch((error: unknown) => this.logger.warn(`confirmation bookkeeping: ${String(error)}`));
    }
  }
}
