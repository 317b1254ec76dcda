// The load process: forked by the orchestrator, it drives one system (the platform or the floor)
// over HTTP and WebSocket only. Takers submit RFQs on a fixed schedule (open loop: latency counts
// from the scheduled time, so a slow answer never slows the load), simulated external makers quote
// every RFQ from their sockets at once, and a share of RFQs is accepted.
import * as hdr from 'hdr-histogram-js';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type BurstResult,
  type Cred,
  type FromLoad,
  type InstrumentSpec,
  type LatencySummary,
  type LoopDelay,
  LOOP_RESOLUTION_MS,
  loopDelayMs,
  type Notification,
  type PhaseResult,
  prng,
  RpcSocket,
  SignedHttp,
  sleep,
  type SocketsResult,
  tickTimes,
  type ToLoad,
} from './common.js';

type Init = Extract<ToLoad, { type: 'init' }>;
type Side = 'BUY' | 'SELL';
interface Leg {
  instrument: string;
  side: Side;
}
interface Structure {
  kind: 'single' | 'spread' | 'four-leg' | 'future';
  legs: Leg[];
  quantity: string;
}

const send = (message: FromLoad) => process.send?.(message);

function newHistogram(): hdr.Histogram {
  // Microseconds, up to 10 minutes, 3 significant digits.
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function summarise(h: hdr.Histogram): LatencySummary {
  const ms = (us: number) => us / 1000;
  if (h.totalCount === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

const record = (h: hdr.Histogram, ms: number) => h.recordValue(Math.max(1, Math.round(ms * 1000)));

/**
 * The taker mix: single options, 2-leg spreads, 4-leg structures (iron condors) and futures, each
 * within one underlying and expiry, with the sizes a desk would ask for.
 */
class Mix {
  private readonly random: () => number;
  private readonly options: InstrumentSpec[];
  private readonly futures: InstrumentSpec[];
  private readonly chains = new Map<string, InstrumentSpec[]>();

  constructor(instruments: InstrumentSpec[], seed: number) {
    this.random = prng(seed);
    this.options = instruments.filter((i) => i.kind === 'OPTION');
    this.futures = instruments.filter((i) => i.kind !== 'OPTION');
    for (const o of this.options) {
      const key = `${o.underlying}|${o.expiry}|${o.optionType}`;
      const chain = this.chains.get(key) ?? [];
      chain.push(o);
      this.chains.set(key, chain);
    }
    for (const chain of this.chains.values()) chain.sort((a, b) => Number(a.strike) - Number(b.strike));
  }

  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.random() * xs.length)]!;
  }

  private chain(underlying: string, expiry: string | null, type: 'CALL' | 'PUT'): InstrumentSpec[] {
    return this.chains.get(`${underlying}|${expiry}|${type}`) ?? [];
  }

  private size(underlying: string): string {
    const n = 1 + Math.floor(this.random() * 10);
    return String(underlying === 'BTC' ? n : n * 10);
  }

  next(): Structure {
    const r = this.random();
    if (r < 0.4) {
      const o = this.pick(this.options);
      return {
        kind: 'single',
        legs: [{ instrument: o.name, side: 'BUY' }],
        quantity: this.size(o.underlying),
      };
    }
    if (r < 0.65) {
      const o = this.pick(this.options);
      const chain = this.chain(o.underlying, o.expiry, o.optionType ?? 'CALL');
      // Long the lower strike, short one of the next two: distinct instruments by construction.
      const i = Math.floor(this.random() * (chain.length - 1));
      const j = Math.min(chain.length - 1, i + 1 + Math.floor(this.random() * 2));
      return {
        kind: 'spread',
        legs: [
          { instrument: chain[i]!.name, side: 'BUY' },
          { instrument: chain[j]!.name, side: 'SELL' },
        ],
        quantity: this.size(o.underlying),
      };
    }
    if (r < 0.8) {
      const o = this.pick(this.options);
      const puts = this.chain(o.underlying, o.expiry, 'PUT');
      const calls = this.chain(o.underlying, o.expiry, 'CALL');
      const mid = Math.floor(puts.length / 2);
      const w = 1 + Math.floor(this.random() * Math.max(1, mid - 1));
      return {
        kind: 'four-leg',
        legs: [
          { instrument: puts[Math.max(0, mid - w - 1)]!.name, side: 'BUY' },
          { instrument: puts[mid - 1]!.name, side: 'SELL' },
          { instrument: calls[mid + 1]!.name, side: 'SELL' },
          { instrument: calls[Math.min(calls.length - 1, mid + w + 1)]!.name, side: 'BUY' },
        ],
        quantity: this.size(o.underlying),
      };
    }
    const f = this.pick(this.futures);
    return { kind: 'future', legs: [{ instrument: f.name, side: 'BUY' }], quantity: this.size(f.underlying) };
  }
}

interface Tracked {
  scheduled: number;
  record: boolean;
  accept: boolean;
  side: Side;
  taker: number;
  /** The simulated maker whose quote is accepted. */
  maker: number;
  rfqId: string | null;
  failed: boolean;
  firstQuoteAt: number | null;
  quotesSeen: number;
  seen: Set<string> | null;
  acceptSentAt: number | null;
  acceptFailed: boolean;
  fillAt: number | null;
}

interface Taker {
  cred: Cred;
  http: SignedHttp;
  socket: RpcSocket;
}

let init: Init;
let takers: Taker[] = [];
let makers: RpcSocket[] = [];
let idleSockets: RpcSocket[] = [];
let mix: Mix;
const ticks = new Map<string, string>();

/** RFQs of the running phase by id. */
let byRfq = new Map<string, Tracked>();
/** Taker notifications for RFQs whose POST has not answered yet (the push can beat the response). */
const early = new Map<string, { at: number; quotes: Array<{ id: string; at: number }> }>();
/** Quotes the simulated makers placed: quote id → RFQ and maker, and the first one per RFQ. */
const simQuotes = new Map<string, { rfqId: string; maker: number }>();
const simByRfq = new Map<string, string>();
const simOrder: Array<{ at: number; quoteId: string; rfqId: string }> = [];
let makerErrors = 0;
const errorSamples: string[] = [];
let onFillForBurst: ((rfqId: string, at: number) => void) | null = null;

function sample(message: string): void {
  if (errorSamples.length < 8 && !errorSamples.includes(message)) errorSamples.push(message);
}

function describe(res: { status: number; json: unknown }): string {
  const body = res.json as { error?: { code?: string; message?: string } } | null;
  return `${res.status} ${body?.error?.code ?? ''} ${body?.error?.message ?? ''}`.trim();
}

// Bounded memory over a long run: what is older than a minute can no longer matter.
setInterval(() => {
  const cutoff = performance.now() - 60_000;
  while (simOrder.length > 0 && simOrder[0]!.at < cutoff) {
    const { quoteId, rfqId } = simOrder.shift()!;
    simQuotes.delete(quoteId);
    if (simByRfq.get(rfqId) === quoteId) simByRfq.delete(rfqId);
  }
  for (const [id, e] of early) if (e.at < cutoff) early.delete(id);
}, 1000).unref();

function structureTick(legs: Array<{ instrument: string }>): string {
  let best: string | null = null;
  for (const l of legs) {
    const t = ticks.get(l.instrument);
    if (t && (best === null || Number(t) < Number(best))) best = t;
  }
  return best ?? '1';
}

function onMakerNotification(k: number, socket: RpcSocket, n: Notification): void {
  if (n.channel !== 'rfqs' || n.data.event !== 'rfq.created') return;
  const rfqId = String(n.data.id);
  const quantity = String(n.data.quantity);
  const tick = structureTick((n.data.legs as Array<{ instrument: string }>) ?? []);
  socket
    .call('quote.submit', {
      rfqId,
      clientQuoteId: `m${k}-${rfqId}`,
      bid: { price: tickTimes(tick, 1000 + k), quantity },
      ask: { price: tickTimes(tick, 1020 + k), quantity },
      validForSeconds: 600,
    })
    .then((result) => onSimQuote(rfqId, String((result as { id: string }).id), k))
    .catch((error: unknown) => {
      makerErrors++;
      sample(`maker quote.submit: ${error instanceof Error ? error.message : String(error)}`);
    });
}

function onSimQuote(rfqId: string, quoteId: string, maker: number): void {
  simQuotes.set(quoteId, { rfqId, maker });
  if (!simByRfq.has(rfqId)) simByRfq.set(rfqId, quoteId);
  simOrder.push({ at: performance.now(), quoteId, rfqId });
  const t = byRfq.get(rfqId);
  if (t && t.maker === maker && t.seen?.has(quoteId)) accept(t, quoteId);
  burstWaiters.get(rfqId)?.(quoteId);
}

function onQuoteSeen(t: Tracked, quoteId: string, at: number, phase: PhaseState): void {
  t.quotesSeen++;
  if (t.firstQuoteAt === null) {
    t.firstQuoteAt = at;
    if (t.record) record(phase.firstQuote, at - t.scheduled);
  }
  if (!t.accept || t.acceptSentAt !== null) return;
  // The taker takes one simulated external maker's quote, the makers in turn: the built-in makers'
  // risk limits would refuse fills once their inventory fills up (and the floor has none), and
  // always the fastest maker would pile every fill onto one account's rows.
  if (simQuotes.get(quoteId)?.maker === t.maker) accept(t, quoteId);
  else (t.seen ??= new Set()).add(quoteId);
}

function onTakerNotification(n: Notification): void {
  const rfqId = typeof n.data.rfqId === 'string' ? n.data.rfqId : '';
  if (n.channel === 'quotes' && n.data.event === 'quote.created') {
    const t = byRfq.get(rfqId);
    if (t && phaseState) onQuoteSeen(t, String(n.data.id), n.receivedAt, phaseState);
    else {
      const e = early.get(rfqId) ?? { at: n.receivedAt, quotes: [] };
      e.quotes.push({ id: String(n.data.id), at: n.receivedAt });
      early.set(rfqId, e);
    }
  } else if (n.channel === 'trades' && n.data.event === 'fill.booked') {
    onFillForBurst?.(rfqId, n.receivedAt);
    const t = byRfq.get(rfqId);
    if (!t || t.acceptSentAt === null || t.fillAt !== null) return;
    t.fillAt = n.receivedAt;
    if (t.record && phaseState) record(phaseState.fill, n.receivedAt - t.acceptSentAt);
  }
}

function accept(t: Tracked, quoteId: string): void {
  if (t.acceptSentAt !== null || !t.rfqId) return;
  const taker = takers[t.taker]!;
  t.acceptSentAt = performance.now();
  const state = phaseState;
  if (t.record && state) state.accepts++;
  taker.http
    .request(
      'POST',
      `/v1/rfqs/${t.rfqId}/accept`,
      { quoteId, side: t.side },
      { 'idempotency-key': randomUUID() },
    )
    .then((res) => {
      if (res.status !== 200) {
        t.acceptFailed = true;
        if (t.record && state) state.acceptErrors++;
        sample(`accept: ${describe(res)}`);
      }
    })
    .catch((error: unknown) => {
      t.acceptFailed = true;
      if (t.record && state) state.acceptErrors++;
      sample(`accept: ${String(error)}`);
    });
}

interface PhaseState {
  firstQuote: hdr.Histogram;
  fill: hdr.Histogram;
  accepts: number;
  acceptErrors: number;
}
let phaseState: PhaseState | null = null;

function loopSummary(h: ReturnType<typeof monitorEventLoopDelay>): LoopDelay {
  return { p50: loopDelayMs(h.percentile(50)), p99: loopDelayMs(h.percentile(99)), max: loopDelayMs(h.max) };
}

async function runPhase(cmd: Extract<ToLoad, { type: 'phase' }>): Promise<PhaseResult> {
  const state: PhaseState = { firstQuote: newHistogram(), fill: newHistogram(), accepts: 0, acceptErrors: 0 };
  phaseState = state;
  byRfq = new Map();
  errorSamples.length = 0;
  makerErrors = 0;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const interval = 1000 / cmd.rate;
  const warmN = Math.round((cmd.rate * cmd.warmupMs) / 1000);
  const measN = Math.max(1, Math.round((cmd.rate * cmd.measureMs) / 1000));
  const total = warmN + measN;
  const recorded: Tracked[] = [];
  let created = 0;
  let rfqErrors = 0;
  const t0 = performance.now() + 20;
  const random = prng(cmd.id * 7919 + 17);

  const fire = (i: number, scheduled: number) => {
    const inWindow = i >= warmN;
    const structure = mix.next();
    const t: Tracked = {
      scheduled,
      record: inWindow,
      accept: random() < cmd.acceptShare,
      side: i % 2 === 0 ? 'BUY' : 'SELL',
      taker: i % takers.length,
      maker: i % makers.length,
      rfqId: null,
      failed: false,
      firstQuoteAt: null,
      quotesSeen: 0,
      seen: null,
      acceptSentAt: null,
      acceptFailed: false,
      fillAt: null,
    };
    if (inWindow) recorded.push(t);
    takers[t.taker]!.http.request('POST', '/v1/rfqs', {
      clientRfqId: `p${cmd.id}-${i}`,
      legs: structure.legs,
      quantity: structure.quantity,
      expiresInSeconds: cmd.rfqExpirySeconds,
    }).then(
      (res) => {
        const id = (res.json as { id?: string } | null)?.id;
        if ((res.status !== 201 && res.status !== 200) || !id) {
          t.failed = true;
          if (inWindow) rfqErrors++;
          sample(`create RFQ: ${describe(res)}`);
          return;
        }
        if (inWindow) created++;
        t.rfqId = id;
        if (phaseState !== state) return;
        byRfq.set(id, t);
        const e = early.get(id);
        if (e) {
          early.delete(id);
          for (const q of e.quotes) onQuoteSeen(t, q.id, q.at, state);
        }
      },
      (error: unknown) => {
        t.failed = true;
        if (inWindow) rfqErrors++;
        sample(`create RFQ: ${String(error)}`);
      },
    );
  };

  let startedAt = 0;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + i * interval <= now) {
        if (i === warmN) {
          startedAt = performance.now();
          send({ type: 'mark', id: cmd.id, what: 'start' });
        }
        fire(i, t0 + i * interval);
        i++;
      }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  const windowEnd = t0 + total * interval;
  await sleep(Math.max(0, windowEnd - performance.now()));
  send({ type: 'mark', id: cmd.id, what: 'end' });
  const sendMs = performance.now() - startedAt;
  const loopDelay = loopSummary(loop);
  loop.disable();

  const outstanding = (t: Tracked) =>
    !t.failed &&
    (t.firstQuoteAt === null || (t.acceptSentAt !== null && !t.acceptFailed && t.fillAt === null));
  const deadline = performance.now() + cmd.drainMs;
  while (performance.now() < deadline && recorded.some(outstanding)) await sleep(20);
  // Still missing at the deadline: recorded at the drain deadline, a lower bound of their latency,
  // so a saturated rate shows in the percentiles rather than only in a count.
  const now = performance.now();
  let quotesLost = 0;
  let fillsLost = 0;
  let quotesSeen = 0;
  let withQuote = 0;
  for (const t of recorded) {
    if (t.failed) continue;
    if (t.firstQuoteAt === null) {
      quotesLost++;
      record(state.firstQuote, now - t.scheduled);
    } else {
      quotesSeen += t.quotesSeen;
      withQuote++;
    }
    if (t.acceptSentAt !== null && !t.acceptFailed && t.fillAt === null) {
      fillsLost++;
      record(state.fill, now - t.acceptSentAt);
    }
  }
  phaseState = null;
  byRfq = new Map();
  if (makerErrors > 0) sample(`${makerErrors} maker quote(s) refused`);
  return {
    rate: cmd.rate,
    sent: recorded.length,
    created,
    rfqErrors,
    firstQuote: summarise(state.firstQuote),
    quotesLost,
    accepts: state.accepts,
    acceptErrors: state.acceptErrors,
    fill: summarise(state.fill),
    fillsLost,
    quotesPerRfq: withQuote > 0 ? quotesSeen / withQuote : 0,
    achievedRate: sendMs > 0 ? (recorded.length * 1000) / sendMs : 0,
    measureMs: cmd.measureMs,
    loadLoop: loopDelay,
    errorSamples: [...errorSamples],
  };
}

const burstWaiters = new Map<string, (quoteId: string) => void>();
let prepared: Array<{ rfqId: string; quoteId: string; taker: number; side: Side }> = [];

/** Creates RFQs closed-loop until each has a simulated maker's quote to accept later. */
async function burstPrepare(cmd: Extract<ToLoad, { type: 'burstPrepare' }>): Promise<number> {
  prepared = [];
  errorSamples.length = 0;
  let next = 0;
  // A slow system gets fewer RFQs to accept rather than an endless preparation.
  const stopAt = performance.now() + cmd.maxMs;
  const worker = async () => {
    while (next < cmd.count && performance.now() < stopAt) {
      const i = next++;
      const structure = mix.next();
      const taker = i % takers.length;
      try {
        // Routed to one simulated maker, the makers in turn: one quote per RFQ is all the burst
        // needs, and the built-in makers would keep requoting hundreds of open RFQs meanwhile.
        const res = await takers[taker]!.http.request('POST', '/v1/rfqs', {
          clientRfqId: `b${cmd.id}-${i}`,
          legs: structure.legs,
          quantity: structure.quantity,
          expiresInSeconds: cmd.rfqExpirySeconds,
          makers: [init.makers[i % init.makers.length]!.account],
        });
        const id = (res.json as { id?: string } | null)?.id;
        if (!id) {
          sample(`burst RFQ: ${describe(res)}`);
          continue;
        }
        const quoteId =
          simByRfq.get(id) ??
          (await Promise.race([
            new Promise<string>((resolve) => burstWaiters.set(id, resolve)),
            sleep(10_000).then(() => null),
          ]));
        burstWaiters.delete(id);
        if (quoteId) prepared.push({ rfqId: id, quoteId, taker, side: i % 2 === 0 ? 'BUY' : 'SELL' });
      } catch (error) {
        sample(`burst RFQ: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  return prepared.length;
}

/** Fires every prepared accept with `concurrency` in flight and counts fills per second. */
async function burstFire(cmd: Extract<ToLoad, { type: 'burstFire' }>): Promise<BurstResult> {
  errorSamples.length = 0;
  const latency = newHistogram();
  const sentAt = new Map<string, number>();
  let fills = 0;
  let lastFill = 0;
  let acceptErrors = 0;
  onFillForBurst = (rfqId, at) => {
    const s = sentAt.get(rfqId);
    if (s === undefined) return;
    sentAt.delete(rfqId);
    fills++;
    lastFill = at;
    record(latency, at - s);
  };
  send({ type: 'mark', id: cmd.id, what: 'start' });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < prepared.length) {
      const p = prepared[next++]!;
      sentAt.set(p.rfqId, performance.now());
      try {
        const res = await takers[p.taker]!.http.request(
          'POST',
          `/v1/rfqs/${p.rfqId}/accept`,
          { quoteId: p.quoteId, side: p.side },
          { 'idempotency-key': randomUUID() },
        );
        if (res.status !== 200) {
          acceptErrors++;
          sentAt.delete(p.rfqId);
          sample(`burst accept: ${describe(res)}`);
        }
      } catch (error) {
        acceptErrors++;
        sentAt.delete(p.rfqId);
        sample(`burst accept: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  const deadline = performance.now() + 10_000;
  while (sentAt.size > 0 && performance.now() < deadline) await sleep(10);
  send({ type: 'mark', id: cmd.id, what: 'end' });
  onFillForBurst = null;
  const elapsedMs = (fills > 0 ? lastFill : performance.now()) - started;
  return {
    prepared: prepared.length,
    accepts: prepared.length,
    fills,
    acceptErrors,
    elapsedMs,
    fillsPerSecond: elapsedMs > 0 ? (fills * 1000) / elapsedMs : 0,
    fill: summarise(latency),
    errorSamples: [...errorSamples],
  };
}

async function openSockets(count: number, concurrency: number): Promise<SocketsResult> {
  errorSamples.length = 0;
  const started = performance.now();
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        idleSockets.push(await RpcSocket.open(init.baseUrl, init.idle, ['trades']));
      } catch (error) {
        failed++;
        sample(`idle socket: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    opened: idleSockets.length,
    failed,
    ms: performance.now() - started,
    errorSamples: [...errorSamples],
  };
}

async function closeSockets(): Promise<void> {
  const all = idleSockets;
  idleSockets = [];
  for (let i = 0; i < all.length; i += 200) await Promise.all(all.slice(i, i + 200).map((s) => s.close()));
}

async function start(message: Init): Promise<void> {
  init = message;
  for (const i of message.instruments) ticks.set(i.name, i.tickSize);
  mix = new Mix(message.instruments, message.seed);
  takers = await Promise.all(
    message.takers.map(async (cred) => ({
      cred,
      http: new SignedHttp(message.baseUrl, cred),
      socket: await RpcSocket.open(message.baseUrl, cred, ['quotes', 'trades'], onTakerNotification),
    })),
  );
  makers = await Promise.all(
    message.makers.map(async (cred, k) => {
      const socket: RpcSocket = await RpcSocket.open(message.baseUrl, cred, ['rfqs'], (n) =>
        onMakerNotification(k, socket, n),
      );
      return socket;
    }),
  );
}

async function handle(message: ToLoad): Promise<void> {
  switch (message.type) {
    case 'init':
      await start(message);
      send({ type: 'ready' });
      return;
    case 'phase':
      send({ type: 'phase', id: message.id, result: await runPhase(message) });
      return;
    case 'burstPrepare': {
      const count = await burstPrepare(message);
      send({ type: 'prepared', id: message.id, count, errorSamples: [...errorSamples] });
      return;
    }
    case 'burstFire':
      send({ type: 'burst', id: message.id, result: await burstFire(message) });
      return;
    case 'sockets':
      send({
        type: 'sockets',
        id: message.id,
        result: await openSockets(message.count, message.concurrency),
      });
      return;
    case 'closeSockets':
      await closeSockets();
      send({ type: 'closed', id: message.id });
      return;
    case 'stop':
      await closeSockets();
      await Promise.all([...takers.map((t) => t.socket.close()), ...makers.map((m) => m.close())]);
      for (const t of takers) t.http.close();
      process.exit(0);
  }
}

process.on('message', (message: ToLoad) => {
  handle(message).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 100);
  });
});
// Orphaned (the orchestrator died): nothing will stop us otherwise.
process.on('disconnect', () => process.exit(0));
