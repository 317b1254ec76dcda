import { createHmac, randomUUID } from 'node:crypto';
import WebSocket from 'ws';

/** Typed client for the platform: signs every REST request and wraps the JSON-RPC socket. */
export interface Credentials {
  apiKey: string;
  secret: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; details: Array<Record<string, unknown>>; correlationId: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.error?.code}: ${body.error?.message}`);
  }

  get code(): string {
    return this.body.error?.code;
  }
}

export type Side = 'BUY' | 'SELL';

export interface LegInput {
  instrument: string;
  side: Side;
  ratio?: number;
}

export interface CreateRfq {
  clientRfqId?: string;
  legs: LegInput[];
  quantity: string;
  expiresInSeconds: number;
  makers?: string[];
  disclosed?: boolean;
  autoExecute?: { side: Side; limitPrice: string; afterSeconds: number };
}

export interface QuoteSideInput {
  price: string;
  quantity: string;
  minQuantity?: string;
}

export interface SubmitQuote {
  rfqId: string;
  clientQuoteId?: string;
  bid?: QuoteSideInput;
  ask?: QuoteSideInput;
  validForSeconds: number;
  cancelOnDisconnect?: boolean;
}

export interface Rfq {
  id: string;
  state: string;
  quantity: string;
  filledQuantity: string;
  legs: Array<{ instrument: string; side: Side; ratio: string }>;
  expiresAt: string;
  [key: string]: unknown;
}

export interface Quote {
  id: string;
  rfqId: string;
  state: string;
  bid: { price: string; quantity: string; remaining: string } | null;
  ask: { price: string; quantity: string; remaining: string } | null;
  validUntil: string;
  [key: string]: unknown;
}

export interface Fill {
  id: string;
  quoteId: string;
  side: Side;
  quantity: string;
  price: string;
  premium: string;
  legs: Array<{ instrument: string; side: Side; quantity: string; price: string }>;
  [key: string]: unknown;
}

export interface Execution {
  executionId: string;
  rfqId: string;
  filledQuantity: string;
  averagePrice: string | null;
  rfqState: string;
  fills: Fill[];
}

export function signRequest(
  secret: string,
  timestamp: string,
  method: string,
  pathWithQuery: string,
  body: string,
): string {
  return createHmac('sha256', secret)
    .update(`${timestamp}${method.toUpperCase()}${pathWithQuery}${body}`)
    .digest('hex');
}

export class RfqClient {
  private lastTimestamp = 0;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {}

  /** A signed request; throws ApiError with the platform's error body on a non-2xx answer. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const text = body === undefined ? '' : JSON.stringify(body);
    // Strictly increasing: two identical requests in one millisecond would otherwise share a
    // signature, and the platform refuses any signature it has seen (replay protection).
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    const timestamp = String(this.lastTimestamp);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-api-key': this.credentials.apiKey,
        'x-api-timestamp': timestamp,
        'x-api-signature': signRequest(this.credentials.secret, timestamp, method, path, text),
        ...headers,
      },
      body: body === undefined ? undefined : text,
    });
    const parsed = (await response.json().catch(() => ({}))) as T;
    if (!response.ok) throw new ApiError(response.status, parsed as ApiErrorBody);
    return { status: response.status, body: parsed, headers: response.headers };
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).body;
  }

  instruments() {
    return this.get<{
      data: Array<{ name: string; kind: string; underlying: string; tickSize: string; lotSize: string }>;
    }>('/v1/instruments');
  }
  instrument(name: string) {
    return this.get<Record<string, unknown>>(`/v1/instruments/${encodeURIComponent(name)}`);
  }
  async createRfq(input: CreateRfq): Promise<Rfq> {
    return (await this.request<Rfq>('POST', '/v1/rfqs', { clientRfqId: randomUUID(), ...input })).body;
  }
  rfqs() {
    return this.get<{ data: Rfq[] }>('/v1/rfqs');
  }
  rfq(id: string) {
    return this.get<
      Rfq & {
        quotes: Quote[];
        bestBid: { quoteId: string; price: string } | null;
        bestAsk: { quoteId: string; price: string } | null;
      }
    >(`/v1/rfqs/${id}`);
  }
  async cancelRfq(id: string): Promise<Rfq> {
    return (await this.request<Rfq>('POST', `/v1/rfqs/${id}/cancel`)).body;
  }
  async accept(
    rfqId: string,
    input: { quoteId: string; side: Side; quantity?: string },
    idempotencyKey: string = randomUUID(),
  ): Promise<Execution> {
    return (
      await this.request<Execution>('POST', `/v1/rfqs/${rfqId}/accept`, input, {
        'idempotency-key': idempotencyKey,
      })
    ).body;
  }
  async execute(
    rfqId: string,
    input: { side: Side; quantity: string; limitPrice: string; allOrNone?: boolean },
    idempotencyKey: string = randomUUID(),
  ): Promise<Execution> {
    return (
      await this.request<Execution>('POST', `/v1/rfqs/${rfqId}/execute`, input, {
        'idempotency-key': idempotencyKey,
      })
    ).body;
  }
  makerRfqs() {
    return this.get<{ data: Rfq[] }>('/v1/maker/rfqs');
  }
  async submitQuote(input: SubmitQuote): Promise<Quote> {
    return (await this.request<Quote>('POST', '/v1/quotes', { clientQuoteId: randomUUID(), ...input })).body;
  }
  async replaceQuote(id: string, input: Omit<SubmitQuote, 'rfqId'>): Promise<Quote> {
    return (await this.request<Quote>('PUT', `/v1/quotes/${id}`, input)).body;
  }
  async cancelQuote(id: string): Promise<Quote> {
    return (await this.request<Quote>('DELETE', `/v1/quotes/${id}`)).body;
  }
  async cancelAllQuotes(rfqId?: string): Promise<{ cancelled: string[] }> {
    return (
      await this.request<{ cancelled: string[] }>('POST', '/v1/quotes/cancel-all', rfqId ? { rfqId } : {})
    ).body;
  }
  strategy() {
    return this.get<Record<string, unknown>>('/v1/maker/strategy');
  }
  async updateStrategy(patch: Record<string, unknown>) {
    return (await this.request<Record<string, unknown>>('PUT', '/v1/maker/strategy', patch)).body;
  }
  trades() {
    return this.get<{ data: Fill[]; nextCursor: string | null }>('/v1/trades');
  }
  trade(id: string) {
    return this.get<Fill>(`/v1/trades/${id}`);
  }
  positions() {
    return this.get<{
      data: Array<{ instrument: string; quantity: string; costBasis: string; markPrice: string | null }>;
      balances: Array<{ asset: string; amount: string }>;
    }>('/v1/positions');
  }
  risk() {
    return this.get<Record<string, unknown>>('/v1/risk');
  }
  admin<T = { data: Array<Record<string, unknown>>; nextCursor: string | null }>(path: string) {
    return this.get<T>(`/v1/admin/${path}`);
  }

  /** Opens and authenticates the socket. */
  async connect(options: { channels?: Array<'rfqs' | 'quotes' | 'trades'> } = {}): Promise<RfqSocket> {
    const socket = new RfqSocket(this.baseUrl.replace(/^http/, 'ws') + '/v1/ws', this.credentials);
    await socket.open();
    if (options.channels?.length) await socket.call('subscribe', { channels: options.channels });
    return socket;
  }
}

export interface Notification {
  channel: 'rfqs' | 'quotes' | 'trades';
  data: Record<string, unknown> & { event: string; eventId: string };
  receivedAt: number;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: { code?: string; details?: unknown } | undefined,
  ) {
    super(`${code} ${data?.code ?? ''}: ${message}`);
  }
}

/** JSON-RPC 2.0 socket: `call` awaits a result; notifications go to listeners and a buffer. */
export class RfqSocket {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(n: Notification) => void>();
  readonly received: Notification[] = [];
  closeInfo: { code: number; reason: string } | null = null;

  constructor(
    private readonly url: string,
    private readonly credentials: Credentials,
  ) {}

  async open(): Promise<void> {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', (raw: Buffer) => this.onMessage(raw.toString('utf8')));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString() };
      for (const p of this.pending.values()) p.reject(new Error(`socket closed (${code})`));
      this.pending.clear();
    });
    const timestamp = String(Date.now());
    await this.call('auth', {
      apiKey: this.credentials.apiKey,
      timestamp,
      signature: signRequest(this.credentials.secret, timestamp, 'GET', '/v1/ws', ''),
    });
  }

  call<T = unknown>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject });
      this.ws!.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  onNotification(listener: (n: Notification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the first notification (already received or future) that matches. */
  waitFor(predicate: (n: Notification) => boolean, timeoutMs = 10_000): Promise<Notification> {
    const seen = this.received.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching notification within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onNotification((n) => {
        if (!predicate(n)) return;
        clearTimeout(timer);
        off();
        resolve(n);
      });
    });
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as {
      id?: number;
      result?: unknown;
      error?: { code: number; message: string; data?: { code?: string } };
      method?: string;
      params?: { channel: Notification['channel']; data: Notification['data'] };
    };
    if (msg.method === 'subscription' && msg.params) {
      const n: Notification = {
        channel: msg.params.channel,
        data: msg.params.data,
        receivedAt: performance.now(),
      };
      this.received.push(n);
      for (const l of this.listeners) l(n);
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) p.reject(new RpcError(msg.error.code, msg.error.message, msg.error.data));
    else p.resolve(msg.result);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  /** Drops the connection without a close handshake (as a crashed client would). */
  terminate(): void {
    this.ws?.terminate();
  }
}
