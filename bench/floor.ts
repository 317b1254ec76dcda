// The floor: the least a single Node process can do for the same essential work as the platform,
// with Fastify, pg and ws only (no Nest, Prisma, BullMQ, Redis). It inserts the RFQ and its legs,
// fans the RFQ out to the makers' sockets, inserts the quotes that arrive in one event-loop turn with
// one multi-row INSERT (one commit), books an accept in one transaction with the same kind of rows
// (quote and RFQ updated under lock, fill, per-leg trades, journal entry, postings, position upserts,
// balance updates) and pushes the confirmation to the taker's socket. Requests and sockets are
// authenticated with the platform's HMAC scheme so that the same load code drives both.
//
// Env: FLOOR_PORT, DATABASE_URL (an empty database of its own), FLOOR_SEED (JSON: accounts with
// their keys, instruments), FLOOR_POOL_SIZE.
import { Decimal } from 'decimal.js';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { WebSocketServer, type WebSocket } from 'ws';
import { LOOP_RESOLUTION_MS, loopDelayMs } from './common.js';

export interface FloorSeed {
  feeAccount: string;
  accounts: Array<{
    name: string;
    role: 'TAKER' | 'MAKER' | 'SYSTEM';
    takerFeeBps: string;
    makerFeeBps: string;
    key: { keyId: string; secret: string } | null;
  }>;
  instruments: Array<{
    name: string;
    kind: string;
    underlying: string;
    tickSize: string;
    lotSize: string;
    multiplier: string;
  }>;
}

const SCHEMA = `
CREATE TABLE accounts (id uuid PRIMARY KEY, name text NOT NULL UNIQUE, role text NOT NULL,
  maker_fee_bps numeric(12,4) NOT NULL DEFAULT 0, taker_fee_bps numeric(12,4) NOT NULL DEFAULT 0);
CREATE TABLE api_keys (id text PRIMARY KEY, account_id uuid NOT NULL REFERENCES accounts, secret text NOT NULL);
CREATE TABLE instruments (id uuid PRIMARY KEY, name text NOT NULL UNIQUE, kind text NOT NULL, underlying text NOT NULL,
  tick_size numeric(28,8) NOT NULL, lot_size numeric(28,8) NOT NULL, multiplier numeric(28,8) NOT NULL);
CREATE TABLE rfqs (id uuid PRIMARY KEY, taker_id uuid NOT NULL REFERENCES accounts, client_rfq_id text NOT NULL,
  quantity numeric(28,8) NOT NULL, filled_quantity numeric(28,8) NOT NULL DEFAULT 0, state text NOT NULL DEFAULT 'OPEN',
  expires_at timestamptz(3) NOT NULL, created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(), UNIQUE (taker_id, client_rfq_id));
CREATE INDEX ON rfqs (state, expires_at);
CREATE TABLE rfq_legs (rfq_id uuid NOT NULL REFERENCES rfqs, leg_index int NOT NULL,
  instrument_id uuid NOT NULL REFERENCES instruments, side text NOT NULL, ratio numeric(28,8) NOT NULL,
  PRIMARY KEY (rfq_id, leg_index));
CREATE TABLE quotes (id uuid PRIMARY KEY, rfq_id uuid NOT NULL REFERENCES rfqs, maker_id uuid NOT NULL REFERENCES accounts,
  client_quote_id text NOT NULL, bid_price numeric(28,8), bid_quantity numeric(28,8), bid_filled numeric(28,8) NOT NULL DEFAULT 0,
  ask_price numeric(28,8), ask_quantity numeric(28,8), ask_filled numeric(28,8) NOT NULL DEFAULT 0,
  state text NOT NULL DEFAULT 'LIVE', valid_until timestamptz(3) NOT NULL, created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now(), UNIQUE (maker_id, client_quote_id));
CREATE INDEX ON quotes (rfq_id, state);
CREATE TABLE fills (id uuid PRIMARY KEY, rfq_id uuid NOT NULL REFERENCES rfqs, quote_id uuid NOT NULL REFERENCES quotes,
  taker_id uuid NOT NULL REFERENCES accounts, maker_id uuid NOT NULL REFERENCES accounts, side text NOT NULL,
  quantity numeric(28,8) NOT NULL, price numeric(28,8) NOT NULL, premium numeric(38,12) NOT NULL,
  taker_fee numeric(38,12) NOT NULL, maker_fee numeric(38,12) NOT NULL, execution_id uuid NOT NULL,
  idempotency_key text NOT NULL, created_at timestamptz(3) NOT NULL DEFAULT now(), UNIQUE (taker_id, idempotency_key));
CREATE INDEX ON fills (rfq_id);
CREATE INDEX ON fills (quote_id);
CREATE INDEX ON fills (maker_id, created_at);
CREATE TABLE trades (fill_id uuid NOT NULL REFERENCES fills, leg_index int NOT NULL,
  instrument_id uuid NOT NULL REFERENCES instruments, side text NOT NULL, quantity numeric(28,8) NOT NULL,
  price numeric(28,8) NOT NULL, PRIMARY KEY (fill_id, leg_index));
CREATE INDEX ON trades (instrument_id);
CREATE TABLE journal_entries (id uuid PRIMARY KEY, fill_id uuid NOT NULL UNIQUE REFERENCES fills,
  created_at timestamptz(3) NOT NULL DEFAULT now());
CREATE TABLE postings (id bigserial PRIMARY KEY, journal_entry_id uuid NOT NULL REFERENCES journal_entries,
  account_id uuid NOT NULL REFERENCES accounts, asset_code text NOT NULL, amount numeric(38,12) NOT NULL);
CREATE INDEX ON postings (journal_entry_id);
CREATE INDEX ON postings (account_id, asset_code);
CREATE TABLE positions (account_id uuid NOT NULL REFERENCES accounts, instrument_id uuid NOT NULL REFERENCES instruments,
  quantity numeric(38,12) NOT NULL DEFAULT 0, cost_basis numeric(38,12) NOT NULL DEFAULT 0,
  updated_at timestamptz(3) NOT NULL DEFAULT now(), PRIMARY KEY (account_id, instrument_id));
CREATE TABLE balances (account_id uuid NOT NULL REFERENCES accounts, asset_code text NOT NULL,
  amount numeric(38,12) NOT NULL DEFAULT 0, updated_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, asset_code));
`;

type Side = 'BUY' | 'SELL';
interface Account {
  id: string;
  name: string;
  role: string;
  takerFeeBps: Decimal;
  makerFeeBps: Decimal;
}
interface Instrument {
  id: string;
  name: string;
  tick: Decimal;
  multiplier: Decimal;
}
interface OpenRfq {
  id: string;
  takerId: string;
  legs: Array<{ instrument: Instrument; side: Side; ratio: Decimal }>;
  quantity: Decimal;
  expiresAt: number;
  state: 'OPEN' | 'FILLED';
  quoteIds: string[];
  /** Makers it is routed to; null = all. */
  makers: Set<string> | null;
}
interface QuoteSide {
  price: Decimal;
  quantity: Decimal;
}
interface LiveQuote {
  id: string;
  rfqId: string;
  makerId: string;
  bid: QuoteSide | null;
  ask: QuoteSide | null;
  validUntil: number;
  state: 'LIVE' | 'FILLED';
}
interface Session {
  ws: WebSocket;
  account: Account | null;
  channels: Set<string>;
}

const DECIMAL = /^-?\d{1,12}(\.\d{1,8})?$/;
const port = Number(process.env.FLOOR_PORT ?? 0);
const seed = JSON.parse(readFileSync(process.env.FLOOR_SEED ?? '', 'utf8')) as FloorSeed;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.FLOOR_POOL_SIZE ?? 20),
  application_name: 'rfq-floor',
});
pool.on('error', () => undefined);

// Schema and reference data: the floor's own database, created empty by the orchestrator.
const accounts = new Map<string, Account>();
const keys = new Map<string, { secret: string; account: Account }>();
const instruments = new Map<string, Instrument>();
{
  const client = await pool.connect();
  try {
    await client.query(SCHEMA);
    for (const a of seed.accounts) {
      const account: Account = {
        id: randomUUID(),
        name: a.name,
        role: a.role,
        takerFeeBps: new Decimal(a.takerFeeBps),
        makerFeeBps: new Decimal(a.makerFeeBps),
      };
      accounts.set(account.id, account);
      await client.query(
        'INSERT INTO accounts (id, name, role, maker_fee_bps, taker_fee_bps) VALUES ($1, $2, $3, $4, $5)',
        [account.id, a.name, a.role, a.makerFeeBps, a.takerFeeBps],
      );
      if (a.key) {
        keys.set(a.key.keyId, { secret: a.key.secret, account });
        await client.query('INSERT INTO api_keys (id, account_id, secret) VALUES ($1, $2, $3)', [
          a.key.keyId,
          account.id,
          a.key.secret,
        ]);
      }
    }
    for (const i of seed.instruments) {
      const id = randomUUID();
      instruments.set(i.name, {
        id,
        name: i.name,
        tick: new Decimal(i.tickSize),
        multiplier: new Decimal(i.multiplier),
      });
      await client.query(
        'INSERT INTO instruments (id, name, kind, underlying, tick_size, lot_size, multiplier) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [id, i.name, i.kind, i.underlying, i.tickSize, i.lotSize, i.multiplier],
      );
    }
  } finally {
    client.release();
  }
}
const feeAccount = [...accounts.values()].find((a) => a.name === seed.feeAccount)!;
const accountsByName = new Map([...accounts.values()].map((a) => [a.name, a]));

const rfqs = new Map<string, OpenRfq>();
const quotes = new Map<string, LiveQuote>();
const sessions = new Set<Session>();
const byAccount = new Map<string, Set<Session>>();
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
loop.enable();

// RFQs leave memory a little after they expire (their rows stay: the floor has no expiry work).
setInterval(() => {
  const cutoff = Date.now() - 5_000;
  for (const [id, r] of rfqs) {
    if (r.expiresAt > cutoff) continue;
    rfqs.delete(id);
    for (const q of r.quoteIds) quotes.delete(q);
  }
}, 1000).unref();

function hmac(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

function verify(keyId: string, timestamp: string, signature: string, payload: string): Account | null {
  const key = keys.get(keyId);
  if (!key || !/^\d{13}$/.test(timestamp) || Math.abs(Date.now() - Number(timestamp)) > 30_000) return null;
  if (!/^[0-9a-f]{64}$/.test(signature)) return null;
  const good = timingSafeEqual(Buffer.from(hmac(key.secret, payload), 'hex'), Buffer.from(signature, 'hex'));
  return good ? key.account : null;
}

function authenticate(request: FastifyRequest, body: string): Account | null {
  const h = request.headers;
  return verify(
    String(h['x-api-key'] ?? ''),
    String(h['x-api-timestamp'] ?? ''),
    String(h['x-api-signature'] ?? ''),
    `${String(h['x-api-timestamp'] ?? '')}${request.method}${request.url}${body}`,
  );
}

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message, details: [], correlationId: null } });
}

function push(accountId: string, channel: string, data: Record<string, unknown>): void {
  const peers = byAccount.get(accountId);
  if (!peers) return;
  const text = JSON.stringify({ jsonrpc: '2.0', method: 'subscription', params: { channel, data } });
  for (const s of peers) if (s.channels.has(channel) && s.ws.readyState === 1) s.ws.send(text);
}

const sideJson = (s: QuoteSide | null) =>
  s ? { price: s.price.toFixed(), quantity: s.quantity.toFixed(), remaining: s.quantity.toFixed() } : null;

function quoteJson(q: LiveQuote) {
  return {
    id: q.id,
    rfqId: q.rfqId,
    state: q.state,
    bid: sideJson(q.bid),
    ask: sideJson(q.ask),
    validUntil: new Date(q.validUntil).toISOString(),
  };
}

const app = Fastify({ logger: false, bodyLimit: 65_536 });
// The raw body is what the signature covers.
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
  done(null, body),
);

app.get('/health', async () => ({ status: 'ok' }));

app.get('/stats', async () => {
  const stats = {
    loop: {
      p50: loopDelayMs(loop.percentile(50)),
      p99: loopDelayMs(loop.percentile(99)),
      max: loopDelayMs(loop.max),
    },
    sessions: sessions.size,
    openRfqs: rfqs.size,
  };
  loop.reset();
  return stats;
});

app.post('/v1/rfqs', async (request, reply) => {
  const raw = typeof request.body === 'string' ? request.body : '';
  const taker = authenticate(request, raw);
  if (!taker) return fail(reply, 401, 'AUTH.BAD_SIGNATURE', 'signature does not match');
  if (taker.role !== 'TAKER') return fail(reply, 403, 'ACCOUNT.NOT_TAKER', 'only takers submit RFQs');
  const body = JSON.parse(raw) as {
    clientRfqId?: string;
    legs?: Array<{ instrument: string; side: Side; ratio?: number }>;
    quantity?: string;
    expiresInSeconds?: number;
    makers?: string[];
  };
  const makers = body.makers ? new Set(body.makers.map((m) => accountsByName.get(m)?.id ?? m)) : null;
  const legs = (body.legs ?? []).map((l) => ({
    instrument: instruments.get(l.instrument),
    side: l.side,
    ratio: new Decimal(l.ratio ?? 1),
  }));
  if (
    legs.length < 1 ||
    legs.length > 8 ||
    legs.some((l) => !l.instrument || (l.side !== 'BUY' && l.side !== 'SELL')) ||
    !DECIMAL.test(body.quantity ?? '') ||
    !Number.isInteger(body.expiresInSeconds) ||
    !body.clientRfqId
  ) {
    return fail(reply, 400, 'VALIDATION', 'invalid RFQ');
  }
  const id = randomUUID();
  const quantity = new Decimal(body.quantity!);
  const expiresAt = Date.now() + body.expiresInSeconds! * 1000;
  try {
    await pool.query({
      name: 'insert-rfq',
      text: `WITH r AS (INSERT INTO rfqs (id, taker_id, client_rfq_id, quantity, expires_at) VALUES ($1, $2, $3, $4, $5))
       INSERT INTO rfq_legs (rfq_id, leg_index, instrument_id, side, ratio)
       SELECT $1, * FROM unnest($6::int[], $7::uuid[], $8::text[], $9::numeric[])`,
      values: [
        id,
        taker.id,
        body.clientRfqId,
        quantity.toFixed(),
        new Date(expiresAt),
        legs.map((_, i) => i),
        legs.map((l) => l.instrument!.id),
        legs.map((l) => l.side),
        legs.map((l) => l.ratio.toFixed()),
      ],
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      return fail(reply, 409, 'RFQ.DUPLICATE_CLIENT_ID', 'clientRfqId already used');
    throw error;
  }
  const rfq: OpenRfq = {
    id,
    takerId: taker.id,
    legs: legs.map((l) => ({ instrument: l.instrument!, side: l.side, ratio: l.ratio })),
    quantity,
    expiresAt,
    state: 'OPEN',
    quoteIds: [],
    makers,
  };
  rfqs.set(id, rfq);
  const json = {
    id,
    state: 'OPEN',
    quantity: quantity.toFixed(),
    filledQuantity: '0',
    legs: rfq.legs.map((l) => ({ instrument: l.instrument.name, side: l.side, ratio: l.ratio.toFixed() })),
    expiresAt: new Date(expiresAt).toISOString(),
  };
  // One serialisation for every maker.
  const text = JSON.stringify({
    jsonrpc: '2.0',
    method: 'subscription',
    params: { channel: 'rfqs', data: { event: 'rfq.created', eventId: randomUUID(), ...json } },
  });
  for (const s of sessions)
    if (
      s.account?.role === 'MAKER' &&
      (!makers || makers.has(s.account.id)) &&
      s.channels.has('rfqs') &&
      s.ws.readyState === 1
    )
      s.ws.send(text);
  return reply.code(201).send(json);
});

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Booking {
  fillId: string;
  executionId: string;
  journalId: string;
  price: Decimal;
  quantity: Decimal;
  premium: Decimal;
  takerFee: Decimal;
  makerFee: Decimal;
  trades: Array<{ legIndex: number; instrument: Instrument; side: Side; quantity: Decimal; price: Decimal }>;
}

/** The fill's rows in one transaction. */
async function book(
  taker: Account,
  rfq: OpenRfq,
  quote: LiveQuote,
  side: Side,
  idempotencyKey: string,
): Promise<Booking> {
  const quoted = side === 'BUY' ? quote.ask : quote.bid;
  if (!quoted) throw new Refused(422, 'QUOTE.WRONG_SIDE', `quote has no ${side === 'BUY' ? 'ask' : 'bid'}`);
  const maker = accounts.get(quote.makerId)!;
  const quantity = Decimal.min(quoted.quantity, rfq.quantity);
  const price = quoted.price;
  // Net price on the first bought leg, the others at 0: the same rows as an exact allocation.
  const first = Math.max(
    0,
    rfq.legs.findIndex((l) => l.side === 'BUY'),
  );
  const trades = rfq.legs.map((l, i) => ({
    legIndex: i,
    instrument: l.instrument,
    side: side === 'BUY' ? l.side : l.side === 'BUY' ? ('SELL' as const) : ('BUY' as const),
    quantity: quantity.mul(l.ratio),
    price: i === first ? price.div(l.ratio) : new Decimal(0),
  }));
  const premium = trades
    .reduce(
      (sum, t) =>
        sum.plus(
          t.quantity
            .mul(t.price)
            .mul(rfq.legs[t.legIndex]!.instrument.multiplier)
            .mul(t.side === 'BUY' ? 1 : -1),
        ),
      new Decimal(0),
    )
    .toDecimalPlaces(8);
  const takerFee = premium.abs().mul(taker.takerFeeBps).div(10_000).toDecimalPlaces(8);
  const makerFee = premium.abs().mul(maker.makerFeeBps).div(10_000).toDecimalPlaces(8);
  const b: Booking = {
    fillId: randomUUID(),
    executionId: randomUUID(),
    journalId: randomUUID(),
    price,
    quantity,
    premium,
    takerFee,
    makerFee,
    trades,
  };
  const postings: Array<[string, string, Decimal]> = [];
  for (const t of trades) {
    const signed = t.side === 'BUY' ? t.quantity : t.quantity.neg();
    postings.push([taker.id, t.instrument.name, signed], [maker.id, t.instrument.name, signed.neg()]);
  }
  postings.push(
    [taker.id, 'USDC', premium.neg().minus(takerFee)],
    [maker.id, 'USDC', premium.minus(makerFee)],
    [feeAccount.id, 'USDC', takerFee.plus(makerFee)],
  );
  const positions = new Map<string, [string, string, Decimal, Decimal]>();
  for (const t of trades) {
    const signed = t.side === 'BUY' ? t.quantity : t.quantity.neg();
    const cost = signed.mul(t.price).mul(t.instrument.multiplier);
    positions.set(`${taker.id}|${t.instrument.id}`, [taker.id, t.instrument.id, signed, cost]);
    positions.set(`${maker.id}|${t.instrument.id}`, [maker.id, t.instrument.id, signed.neg(), cost.neg()]);
  }
  // One global lock order (account, instrument), so concurrent bookings never deadlock.
  const pos = [...positions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  const balances = [
    [taker.id, premium.neg().minus(takerFee)],
    [maker.id, premium.minus(makerFee)],
    [feeAccount.id, takerFee.plus(makerFee)],
  ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)) as Array<[string, Decimal]>;

  // One statement, so one round trip and one commit: each step waits for the one before through
  // an init-plan count (a data-modifying CTE runs to completion before its count is known), which
  // keeps the lock order of every booking the same (quote, RFQ, positions, then the fee account's
  // balance last, held only until the commit) and makes every insert depend on the quote being live.
  const filledColumn = side === 'BUY' ? 'ask_filled' : 'bid_filled';
  // Prepared (named) statements: planning this statement costs more than running it.
  const { rows } = await pool.query<{ booked: number }>({
    name: `book-${side}`,
    text: `WITH q AS (UPDATE quotes SET ${filledColumn} = ${filledColumn} + $3::numeric, state = 'FILLED', updated_at = now()
                 WHERE id = $1::uuid AND rfq_id = $2::uuid AND state = 'LIVE' AND valid_until > now() RETURNING id),
          r AS (UPDATE rfqs SET filled_quantity = filled_quantity + $3::numeric, state = 'FILLED', updated_at = now()
                 WHERE id = $2::uuid AND state = 'OPEN' AND expires_at > now() AND (SELECT count(*) FROM q) = 1 RETURNING id),
          f AS (INSERT INTO fills (id, rfq_id, quote_id, taker_id, maker_id, side, quantity, price, premium, taker_fee,
                                   maker_fee, execution_id, idempotency_key)
                SELECT $4::uuid, r.id, $1::uuid, $5::uuid, $6::uuid, $7::text, $3::numeric, $8::numeric, $9::numeric,
                       $10::numeric, $11::numeric, $12::uuid, $13::text FROM r RETURNING id),
          t AS (INSERT INTO trades (fill_id, leg_index, instrument_id, side, quantity, price)
                SELECT f.id, u.* FROM f, unnest($14::int[], $15::uuid[], $16::text[], $17::numeric[], $18::numeric[]) AS u
                RETURNING 1),
          j AS (INSERT INTO journal_entries (id, fill_id) SELECT $19::uuid, f.id FROM f WHERE (SELECT count(*) FROM t) > 0
                RETURNING id),
          p AS (INSERT INTO postings (journal_entry_id, account_id, asset_code, amount)
                SELECT j.id, u.* FROM j, unnest($20::uuid[], $21::text[], $22::numeric[]) AS u RETURNING 1),
          pos AS (INSERT INTO positions (account_id, instrument_id, quantity, cost_basis)
                  SELECT u.* FROM unnest($23::uuid[], $24::uuid[], $25::numeric[], $26::numeric[]) AS u
                   WHERE (SELECT count(*) FROM p) > 0
                  ON CONFLICT (account_id, instrument_id) DO UPDATE
                    SET quantity = positions.quantity + EXCLUDED.quantity,
                        cost_basis = positions.cost_basis + EXCLUDED.cost_basis, updated_at = now()
                  RETURNING 1),
          bal AS (INSERT INTO balances (account_id, asset_code, amount)
                  SELECT v.a, 'USDC', v.d FROM unnest($27::uuid[], $28::numeric[]) AS v(a, d)
                   WHERE (SELECT count(*) FROM pos) > 0
                  ON CONFLICT (account_id, asset_code) DO UPDATE SET amount = balances.amount + EXCLUDED.amount, updated_at = now()
                  RETURNING 1)
     SELECT (SELECT count(*) FROM bal)::int AS booked`,
    values: [
      quote.id,
      rfq.id,
      quantity.toFixed(),
      b.fillId,
      taker.id,
      maker.id,
      side,
      price.toFixed(),
      premium.toFixed(),
      takerFee.toFixed(),
      makerFee.toFixed(),
      b.executionId,
      idempotencyKey,
      trades.map((t) => t.legIndex),
      trades.map((t) => t.instrument.id),
      trades.map((t) => t.side),
      trades.map((t) => t.quantity.toFixed()),
      trades.map((t) => t.price.toFixed()),
      b.journalId,
      postings.map((p) => p[0]),
      postings.map((p) => p[1]),
      postings.map((p) => p[2].toFixed()),
      pos.map((p) => p[0]),
      pos.map((p) => p[1]),
      pos.map((p) => p[2].toFixed()),
      pos.map((p) => p[3].toFixed()),
      balances.map((x) => x[0]),
      balances.map((x) => x[1].toFixed()),
    ],
  });
  if ((rows[0]?.booked ?? 0) === 0) throw new Refused(422, 'QUOTE.NOT_LIVE', 'quote or RFQ no longer open');
  return b;
}

app.post<{ Params: { id: string } }>('/v1/rfqs/:id/accept', async (request, reply) => {
  const raw = typeof request.body === 'string' ? request.body : '';
  const taker = authenticate(request, raw);
  if (!taker) return fail(reply, 401, 'AUTH.BAD_SIGNATURE', 'signature does not match');
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0)
    return fail(reply, 400, 'IDEMPOTENCY.KEY_REQUIRED', 'the Idempotency-Key header is required');
  const body = JSON.parse(raw) as { quoteId?: string; side?: Side };
  const rfq = rfqs.get(request.params.id);
  if (!rfq || rfq.takerId !== taker.id) return fail(reply, 404, 'RFQ.NOT_FOUND', 'RFQ not found');
  const quote = quotes.get(body.quoteId ?? '');
  if (!quote || quote.rfqId !== rfq.id) return fail(reply, 404, 'QUOTE.NOT_FOUND', 'quote not found');
  if (rfq.state !== 'OPEN' || quote.state !== 'LIVE')
    return fail(reply, 422, 'QUOTE.NOT_LIVE', 'quote not live');
  const side: Side = body.side === 'SELL' ? 'SELL' : 'BUY';
  let b: Booking | null = null;
  for (let attempt = 0; b === null; attempt++) {
    try {
      b = await book(taker, rfq, quote, side, key);
    } catch (error) {
      if (error instanceof Refused) return fail(reply, error.status, error.code, error.message);
      const code = (error as { code?: string }).code;
      if (code === '23505') return fail(reply, 409, 'IDEMPOTENCY.CONFLICT', 'idempotency key already used');
      if ((code === '40P01' || code === '40001') && attempt < 3) continue;
      throw error;
    }
  }
  rfq.state = 'FILLED';
  quote.state = 'FILLED';
  const fill = {
    id: b.fillId,
    rfqId: rfq.id,
    quoteId: quote.id,
    executionId: b.executionId,
    side,
    quantity: b.quantity.toFixed(),
    price: b.price.toFixed(),
    premium: b.premium.toFixed(),
    takerFee: b.takerFee.toFixed(),
    makerFee: b.makerFee.toFixed(),
    legs: b.trades.map((t) => ({
      instrument: t.instrument.name,
      side: t.side,
      quantity: t.quantity.toFixed(),
      price: t.price.toFixed(),
    })),
  };
  const event = { event: 'fill.booked', eventId: randomUUID(), ...fill };
  push(taker.id, 'trades', event);
  push(quote.makerId, 'trades', event);
  return reply.code(200).send({
    executionId: b.executionId,
    rfqId: rfq.id,
    kind: 'accept',
    side,
    filledQuantity: b.quantity.toFixed(),
    averagePrice: b.price.toFixed(),
    rfqState: 'FILLED',
    fills: [fill],
  });
});

// Quotes that arrive in one event-loop turn: one multi-row INSERT, one commit.
let batch: Array<{ session: Session; id: unknown; quote: LiveQuote; clientQuoteId: string }> = [];
let flushScheduled = false;

function rpc(
  session: Session,
  id: unknown,
  result: unknown,
  error?: { code: number; message: string; data?: unknown },
) {
  if (session.ws.readyState !== 1) return;
  session.ws.send(JSON.stringify(error ? { jsonrpc: '2.0', id, error } : { jsonrpc: '2.0', id, result }));
}

async function flushQuotes(): Promise<void> {
  flushScheduled = false;
  const rows = batch;
  batch = [];
  try {
    await pool.query({
      name: 'insert-quotes',
      text: `INSERT INTO quotes (id, rfq_id, maker_id, client_quote_id, bid_price, bid_quantity, ask_price, ask_quantity, valid_until)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::numeric[], $6::numeric[], $7::numeric[],
                            $8::numeric[], $9::timestamptz[])`,
      values: [
        rows.map((r) => r.quote.id),
        rows.map((r) => r.quote.rfqId),
        rows.map((r) => r.quote.makerId),
        rows.map((r) => r.clientQuoteId),
        rows.map((r) => r.quote.bid?.price.toFixed() ?? null),
        rows.map((r) => r.quote.bid?.quantity.toFixed() ?? null),
        rows.map((r) => r.quote.ask?.price.toFixed() ?? null),
        rows.map((r) => r.quote.ask?.quantity.toFixed() ?? null),
        rows.map((r) => new Date(r.quote.validUntil)),
      ],
    });
  } catch (error) {
    for (const r of rows)
      rpc(r.session, r.id, null, { code: -32603, message: `quote insert failed: ${String(error)}` });
    return;
  }
  for (const r of rows) {
    const rfq = rfqs.get(r.quote.rfqId);
    quotes.set(r.quote.id, r.quote);
    rfq?.quoteIds.push(r.quote.id);
    const json = quoteJson(r.quote);
    rpc(r.session, r.id, json);
    if (rfq) push(rfq.takerId, 'quotes', { event: 'quote.created', eventId: randomUUID(), ...json });
  }
}

function parseSide(s: unknown, lot: Decimal): QuoteSide | null | 'bad' {
  if (s === undefined || s === null) return null;
  const side = s as { price?: unknown; quantity?: unknown };
  if (typeof side.price !== 'string' || typeof side.quantity !== 'string') return 'bad';
  if (!DECIMAL.test(side.price) || !DECIMAL.test(side.quantity)) return 'bad';
  const price = new Decimal(side.price);
  const quantity = new Decimal(side.quantity);
  if (!price.mod(lot).isZero() || !quantity.gt(0)) return 'bad';
  return { price, quantity };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function onRpc(session: Session, text: string): void {
  let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    return rpc(session, null, null, { code: -32700, message: 'parse error' });
  }
  const params = msg.params ?? {};
  switch (msg.method ?? '') {
    case 'auth': {
      const ts = str(params.timestamp);
      const account = verify(str(params.apiKey), ts, str(params.signature), `${ts}GET/v1/ws`);
      if (!account) return rpc(session, msg.id, null, { code: -32000, message: 'bad signature' });
      session.account = account;
      const peers = byAccount.get(account.id) ?? new Set<Session>();
      peers.add(session);
      byAccount.set(account.id, peers);
      return rpc(session, msg.id, { accountId: account.id, account: account.name, role: account.role });
    }
    case 'subscribe': {
      if (!session.account) return rpc(session, msg.id, null, { code: -32000, message: 'call auth first' });
      for (const c of (params.channels as string[] | undefined) ?? []) session.channels.add(c);
      return rpc(session, msg.id, { channels: [...session.channels] });
    }
    case 'ping':
      return rpc(session, msg.id, { pong: Date.now() });
    case 'quote.submit': {
      const maker = session.account;
      if (maker?.role !== 'MAKER')
        return rpc(session, msg.id, null, { code: -32000, message: 'makers only' });
      const rfq = rfqs.get(str(params.rfqId));
      if (
        !rfq ||
        rfq.state !== 'OPEN' ||
        rfq.expiresAt <= Date.now() ||
        (rfq.makers && !rfq.makers.has(maker.id))
      )
        return rpc(session, msg.id, null, {
          code: -32000,
          message: 'RFQ not open',
          data: { code: 'RFQ.NOT_OPEN' },
        });
      const tick = rfq.legs.reduce((m, l) => Decimal.min(m, l.instrument.tick), rfq.legs[0]!.instrument.tick);
      const bid = parseSide(params.bid, tick);
      const ask = parseSide(params.ask, tick);
      const validFor = Number(params.validForSeconds);
      if (bid === 'bad' || ask === 'bad' || (!bid && !ask) || !Number.isInteger(validFor) || validFor < 1)
        return rpc(session, msg.id, null, { code: -32602, message: 'invalid quote' });
      if (bid && ask && bid.price.gte(ask.price))
        return rpc(session, msg.id, null, { code: -32602, message: 'crossed quote' });
      batch.push({
        session,
        id: msg.id,
        clientQuoteId: str(params.clientQuoteId) || randomUUID(),
        quote: {
          id: randomUUID(),
          rfqId: rfq.id,
          makerId: maker.id,
          bid,
          ask,
          validUntil: Math.min(Date.now() + validFor * 1000, rfq.expiresAt),
          state: 'LIVE',
        },
      });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(() => void flushQuotes());
      }
      return;
    }
    default:
      return rpc(session, msg.id, null, { code: -32601, message: `unknown method ${String(msg.method)}` });
  }
}

const wss = new WebSocketServer({ server: app.server, path: '/v1/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const session: Session = { ws, account: null, channels: new Set() };
  sessions.add(session);
  ws.on('message', (raw: Buffer) => onRpc(session, raw.toString('utf8')));
  ws.on('error', () => undefined);
  ws.on('close', () => {
    sessions.delete(session);
    if (session.account) byAccount.get(session.account.id)?.delete(session);
  });
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`floor listening on ${port}\n`);

const stop = () => {
  for (const s of sessions) s.ws.terminate();
  wss.close();
  void app
    .close()
    .then(() => pool.end())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
