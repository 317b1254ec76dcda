import { Logger } from '@nestjs/common';
import WebSocket from 'ws';
import { DeribitBook } from './deribit-book.js';
import {
  channelsFor,
  parseDeribitFrame,
  setHeartbeatRequest,
  subscribeRequest,
  testRequest,
} from './deribit-frames.js';
import { type MarketDataSource, type SnapshotListener } from './market-data.source.js';

export interface DeribitSourceOptions {
  /** Snapshots are emitted at most once per interval per underlying, when the data changed. */
  readonly intervalMs: number;
  readonly underlyings?: readonly string[];
  readonly url?: string;
  /** Seconds between the venue's heartbeat test requests. */
  readonly heartbeatSeconds?: number;
  /** First reconnect delay, doubled up to 30 s after each failed attempt. */
  readonly reconnectMs?: number;
  readonly now?: () => number;
}

export const DERIBIT_WS_URL = 'wss://www.deribit.com/ws/api/v2';
const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Live Deribit market data over the public WebSocket API (no credentials). The frame parser and the
 * book are pure and tested against recorded frames; this class only owns the socket: subscribe on
 * open, answer heartbeats, reconnect with exponential backoff, and emit throttled snapshots. A dead
 * feed emits nothing, so consumers see the data age and stop quoting until it recovers.
 */
export class DeribitSource implements MarketDataSource {
  readonly name = 'deribit';
  private readonly logger = new Logger('DeribitSource');
  private readonly underlyings: readonly string[];
  private readonly url: string;
  private readonly now: () => number;
  private book: DeribitBook;
  private socket: WebSocket | null = null;
  private listener: SnapshotListener | null = null;
  private emitTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly minBackoffMs: number;
  private backoffMs: number;
  private requestId = 0;
  private readonly dirty = new Set<string>();
  private rejected = 0;

  constructor(private readonly options: DeribitSourceOptions) {
    this.underlyings = (options.underlyings ?? ['BTC', 'ETH']).map((u) => u.toUpperCase());
    this.url = options.url ?? DERIBIT_WS_URL;
    this.now = options.now ?? Date.now;
    this.minBackoffMs = options.reconnectMs ?? MIN_BACKOFF_MS;
    this.backoffMs = this.minBackoffMs;
    this.book = new DeribitBook({ underlyings: this.underlyings });
  }

  /** Frames that failed to parse since start (a metric; each is also logged at debug). */
  get rejectedFrames(): number {
    return this.rejected;
  }

  async start(listener: SnapshotListener): Promise<void> {
    if (this.listener !== null) return;
    this.listener = listener;
    this.book = new DeribitBook({ underlyings: this.underlyings });
    this.emitTimer = setInterval(() => this.emitDirty(), this.options.intervalMs);
    this.emitTimer.unref();
    this.connect();
  }

  async stop(): Promise<void> {
    this.listener = null;
    if (this.emitTimer !== null) clearInterval(this.emitTimer);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.emitTimer = null;
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.removeAllListeners();
      socket.on('error', () => undefined); // a late error after terminate must not crash the process
      socket.terminate();
    }
  }

  private connect(): void {
    const socket = new WebSocket(this.url, { handshakeTimeout: 10_000 });
    this.socket = socket;
    socket.on('open', () => {
      this.logger.log(`connected to ${this.url}`);
      this.backoffMs = this.minBackoffMs;
      socket.send(setHeartbeatRequest(++this.requestId, this.options.heartbeatSeconds ?? 30));
      socket.send(subscribeRequest(++this.requestId, this.underlyings.flatMap(channelsFor)));
    });
    socket.on('message', (data: WebSocket.RawData) => this.onFrame(socket, rawText(data)));
    socket.on('error', (error: Error) => this.logger.warn(`websocket error: ${error.message}`));
    socket.on('close', (code: number) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.listener === null) return;
      this.logger.warn(`connection closed (${code}); reconnecting in ${this.backoffMs} ms`);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        if (this.listener !== null) this.connect();
      }, this.backoffMs);
      this.reconnectTimer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  private onFrame(socket: WebSocket, text: string): void {
    const parsed = parseDeribitFrame(text);
    if (!parsed.ok) {
      this.rejected++;
      this.logger.debug(`frame rejected: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    if (message.type === 'heartbeat') {
      if (message.testRequest) socket.send(testRequest(++this.requestId));
      return;
    }
    if (message.type === 'error') {
      this.logger.warn(`request ${String(message.id)} failed: ${message.code} ${message.message}`);
      return;
    }
    const changed = this.book.apply(message);
    if (changed !== null) this.dirty.add(changed);
  }

  private emitDirty(): void {
    const listener = this.listener;
    if (listener === null) return;
    for (const underlying of [...this.dirty]) {
      const snapshot = this.book.snapshot(underlying, this.now());
      if (snapshot === null) continue;
      this.dirty.delete(underlying);
      listener(snapshot);
    }
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
