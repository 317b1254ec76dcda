// Shared by the orchestrator, the load process and the floor: wire types of the IPC between the
// orchestrator and the load process, a lean signed HTTP client and JSON-RPC socket, /proc readers.
import { signRequest } from '@app/sdk';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import WebSocket from 'ws';

export interface Cred {
  account: string;
  keyId: string;
  secret: string;
}

export interface InstrumentSpec {
  id: string;
  name: string;
  kind: 'OPTION' | 'FUTURE' | 'PERPETUAL';
  underlying: string;
  expiry: string | null;
  strike: string | null;
  optionType: 'CALL' | 'PUT' | null;
  tickSize: string;
  lotSize: string;
  multiplier: string;
}

/** Percentiles of one latency distribution, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/**
 * monitorEventLoopDelay samples the interval between timer callbacks every `resolution` ms: a value
 * is that interval, so the delay is what exceeds it.
 */
export const LOOP_RESOLUTION_MS = 10;
export const loopDelayMs = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - LOOP_RESOLUTION_MS);

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

export interface PhaseResult {
  rate: number;
  /** RFQs scheduled inside the measured window. */
  sent: number;
  created: number;
  rfqErrors: number;
  firstQuote: LatencySummary;
  /** RFQs of the window that got no quote on the taker's socket before the drain ended. */
  quotesLost: number;
  accepts: number;
  acceptErrors: number;
  fill: LatencySummary;
  fillsLost: number;
  /** Quotes seen on the takers' sockets per RFQ (10 makers: about 10). */
  quotesPerRfq: number;
  /** Send rate actually achieved by the scheduler (RFQs/s). */
  achievedRate: number;
  measureMs: number;
  loadLoop: LoopDelay;
  errorSamples: string[];
}

export interface BurstResult {
  prepared: number;
  accepts: number;
  fills: number;
  acceptErrors: number;
  elapsedMs: number;
  fillsPerSecond: number;
  fill: LatencySummary;
  errorSamples: string[];
}

export interface SocketsResult {
  opened: number;
  failed: number;
  ms: number;
  errorSamples: string[];
}

export type ToLoad =
  | {
      type: 'init';
      system: string;
      baseUrl: string;
      takers: Cred[];
      makers: Cred[];
      idle: Cred;
      instruments: InstrumentSpec[];
      seed: number;
    }
  | {
      type: 'phase';
      id: number;
      rate: number;
      warmupMs: number;
      measureMs: number;
      drainMs: number;
      acceptShare: number;
      rfqExpirySeconds: number;
    }
  | {
      type: 'burstPrepare';
      id: number;
      count: number;
      concurrency: number;
      rfqExpirySeconds: number;
      maxMs: number;
    }
  | { type: 'burstFire'; id: number; concurrency: number }
  | { type: 'sockets'; id: number; count: number; concurrency: number }
  | { type: 'closeSockets'; id: number }
  | { type: 'stop' };

export type FromLoad =
  | { type: 'ready' }
  | { type: 'mark'; id: number; what: 'start' | 'end' }
  | { type: 'phase'; id: number; result: PhaseResult }
  | { type: 'prepared'; id: number; count: number; errorSamples: string[] }
  | { type: 'burst'; id: number; result: BurstResult }
  | { type: 'sockets'; id: number; result: SocketsResult }
  | { type: 'closed'; id: number }
  | { type: 'error'; message: string };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Deterministic PRNG (mulberry32): the same seed gives the platform and the floor the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `tick` × n as an exact decimal string (prices travel as strings; floats would drift off the tick). */
export function tickTimes(tick: string, n: number): string {
  const [whole = '0', frac = ''] = tick.split('.');
  const scale = frac.length;
  const units = BigInt(whole + frac) * BigInt(n);
  if (scale === 0) return units.toString();
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const out = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, '');
  return negative ? `-${out}` : out;
}

const CLOCK_TICKS = 100;

/** utime + stime of a process (all its threads) in milliseconds, or null when it is gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Resident set size in bytes, or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** HTTP/1.1 keep-alive client that signs every request the way the platform expects. */
export class SignedHttp {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly cred: Cred,
    maxSockets = 64,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown }> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String(Date.now());
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            'content-length': Buffer.byteLength(text),
            'x-api-key': this.cred.keyId,
            'x-api-timestamp': timestamp,
            'x-api-signature': signRequest(this.cred.secret, timestamp, method, path, text),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = raw ? JSON.parse(raw) : null;
            } catch {
              json = raw;
            }
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Notification {
  channel: string;
  data: Record<string, unknown>;
  receivedAt: number;
}

/**
 * JSON-RPC 2.0 over ws, as the platform speaks it. Unlike the SDK's socket it keeps no buffer of
 * notifications: a long run would otherwise hold every one of them in memory.
 */
export class RpcSocket {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly ws: WebSocket,
    private readonly onNotify: (n: Notification) => void,
  ) {
    ws.on('message', (raw: Buffer) => this.onMessage(raw));
    ws.on('close', (code: number) => {
      for (const p of this.pending.values()) p.reject(new Error(`socket closed (${code})`));
      this.pending.clear();
    });
    ws.on('error', () => undefined);
  }

  static async open(
    baseUrl: string,
    cred: Cred,
    channels: string[],
    onNotify: (n: Notification) => void = () => undefined,
  ): Promise<RpcSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const socket = new RpcSocket(ws, onNotify);
    const timestamp = String(Date.now());
    await socket.call('auth', {
      apiKey: cred.keyId,
      timestamp,
      signature: signRequest(cred.secret, timestamp, 'GET', '/v1/ws', ''),
    });
    if (channels.length > 0) await socket.call('subscribe', { channels });
    return socket;
  }

  call(method: string, params?: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error('socket not open'));
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  private onMessage(raw: Buffer): void {
    const receivedAt = performance.now();
    let msg: {
      id?: number;
      result?: unknown;
      error?: { code: number; message: string; data?: { code?: string } };
      method?: string;
      params?: { channel: string; data: Record<string, unknown> };
    };
    try {
      msg = JSON.parse(raw.toString('utf8')) as typeof msg;
    } catch {
      return;
    }
    if (msg.method === 'subscription' && msg.params) {
      this.onNotify({ channel: msg.params.channel, data: msg.params.data, receivedAt });
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error)
      p.reject(new Error(`${msg.error.code} ${msg.error.data?.code ?? ''}: ${msg.error.message}`));
    else p.resolve(msg.result);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}

/** Median of numbers (NaN for none). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
