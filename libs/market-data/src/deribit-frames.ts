/**
 * Deribit public WebSocket API v2 (JSON-RPC 2.0 over wss://www.deribit.com/ws/api/v2): the requests we
 * send and a total parser for the frames we receive. Pure: no socket, no clock. Every frame from the
 * network is untrusted, so the parser checks each field it uses and returns `{ ok: false }` with a
 * reason rather than throwing or passing NaN on.
 *
 * Channels used (https://docs.deribit.com, "Subscriptions"):
 *  - `deribit_price_index.{btc_usd|eth_usd}`: `{ index_name, price, timestamp }`, the spot index.
 *  - `markprice.options.{btc_usd|eth_usd}`: array of `{ instrument_name, mark_price, iv, timestamp }`
 *    for every listed option of the index; `iv` is a decimal (0.9 = 90 %).
 *  - `ticker.{instrument}.100ms`: ticker; for options `mark_iv` is in percent (66.4 = 66.4 %) and
 *    `underlying_price` is the forward the venue prices the option against.
 */

export type DeribitInstrumentKind = 'option' | 'future' | 'perpetual';

export interface DeribitInstrument {
  readonly name: string;
  /** Upper-case base currency: 'BTC' for both BTC-… and BTC_USDC-… instruments. */
  readonly underlying: string;
  readonly kind: DeribitInstrumentKind;
  readonly expiry: Date | null;
  readonly strike: number | null;
  readonly optionType: 'call' | 'put' | null;
}

export interface OptionMark {
  readonly instrument: DeribitInstrument;
  /** Decimal implied vol. */
  readonly iv: number;
  /** Venue mark in units of the underlying (inverse options) or USDC (linear options). */
  readonly markPrice: number;
  readonly timestamp: number;
  /** Forward of the option's expiry when the frame carries it (tickers). */
  readonly underlyingPrice: number | null;
}

export type DeribitMessage =
  | {
      readonly type: 'index';
      readonly underlying: string;
      readonly price: number;
      readonly timestamp: number;
    }
  | {
      readonly type: 'option-marks';
      readonly underlying: string;
      readonly marks: readonly OptionMark[];
      /** Entries left out: not an option of this index, or an invalid field. */
      readonly skipped: number;
    }
  | {
      readonly type: 'ticker';
      readonly instrument: DeribitInstrument;
      readonly timestamp: number;
      readonly markPrice: number;
      readonly indexPrice: number;
      /** Options only. */
      readonly mark: OptionMark | null;
    }
  | { readonly type: 'response'; readonly id: number | string; readonly result: unknown }
  | {
      readonly type: 'error';
      readonly id: number | string | null;
      readonly code: number;
      readonly message: string;
    }
  | { readonly type: 'heartbeat'; readonly testRequest: boolean }
  /** Well-formed, but on a channel or method this adapter does not use. */
  | { readonly type: 'other'; readonly detail: string };

export type DeribitParseResult =
  { readonly ok: true; readonly message: DeribitMessage } | { readonly ok: false; readonly error: string };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** `28MAR25` → 2025-03-28T08:00:00Z: Deribit's instruments expire at 08:00 UTC. */
export function parseExpiryCode(code: string): Date | null {
  const m = /^(\d{1,2})([A-Z]{3})(\d{2})$/.exec(code);
  if (m === null) return null;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2] ?? '');
  const year = 2000 + Number(m[3]);
  if (month < 0) return null;
  const date = new Date(Date.UTC(year, month, day, 8));
  // Rejects 31FEB25 and the like, which Date.UTC would roll into March.
  return date.getUTCDate() === day && date.getUTCMonth() === month ? date : null;
}

/**
 * Deribit instrument names: `BTC-PERPETUAL`, `BTC-28MAR25` (future), `BTC-28MAR25-90000-C` (option),
 * with a `_USDC` suffix on the currency for linear products and `d` as the decimal point in small
 * strikes (`XRP_USDC-28MAR25-0d625-C`). Null for anything else (combos, spot pairs).
 */
export function parseInstrumentName(name: string): DeribitInstrument | null {
  const parts = name.split('-');
  const currency = /^([A-Z0-9]+)(?:_[A-Z]+)?$/.exec(parts[0] ?? '');
  if (currency === null) return null;
  const underlying = currency[1] as string;
  if (parts.length === 2 && parts[1] === 'PERPETUAL') {
    return { name, underlying, kind: 'perpetual', expiry: null, strike: null, optionType: null };
  }
  const expiry = parseExpiryCode(parts[1] ?? '');
  if (expiry === null) return null;
  if (parts.length === 2) return { name, underlying, kind: 'future', expiry, strike: null, optionType: null };
  if (parts.length !== 4) return null;
  const strikeText = (parts[2] ?? '').replace('d', '.');
  if (!/^\d+(\.\d+)?$/.test(strikeText)) return null;
  const strike = Number(strikeText);
  const type = parts[3];
  if (!(strike > 0) || (type !== 'C' && type !== 'P')) return null;
  return { name, underlying, kind: 'option', expiry, strike, optionType: type === 'C' ? 'call' : 'put' };
}

/** `btc_usd` → `BTC`. */
export function underlyingOfIndex(indexName: string): string | null {
  const m = /^([a-z0-9]+)_usdc?$/.exec(indexName);
  return m === null ? null : (m[1] as string).toUpperCase();
}

export function indexNameOf(underlying: string): string {
  return `${underlying.toLowerCase()}_usd`;
}

/** The public channels that feed a snapshot of `underlying`. */
export function channelsFor(underlying: string): string[] {
  const index = indexNameOf(underlying);
  return [
    `deribit_price_index.${index}`,
    `markprice.options.${index}`,
    `ticker.${underlying.toUpperCase()}-PERPETUAL.100ms`,
  ];
}

export function subscribeRequest(id: number, channels: readonly string[]): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'public/subscribe', params: { channels } });
}

/** The venue then sends `test_request`s and drops the connection if `public/test` does not follow. */
export function setHeartbeatRequest(id: number, intervalSeconds: number): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'public/set_heartbeat',
    params: { interval: intervalSeconds },
  });
}

export function testRequest(id: number): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'public/test', params: {} });
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPositive = (v: unknown): v is number => isFiniteNumber(v) && v > 0;
const isTimestamp = (v: unknown): v is number => isFiniteNumber(v) && Number.isInteger(v) && v > 0;

const fail = (error: string): DeribitParseResult => ({ ok: false, error });
const ok = (message: DeribitMessage): DeribitParseResult => ({ ok: true, message });

/** Parses one WebSocket text frame. Never throws. */
export function parseDeribitFrame(frame: string): DeribitParseResult {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch (error) {
    return fail(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(value)) return fail('not a JSON-RPC object');
  if (value.jsonrpc !== '2.0') return fail('jsonrpc is not "2.0"');
  if ('id' in value && (value.result !== undefined || value.error !== undefined)) return parseResponse(value);
  if (value.method === 'heartbeat') {
    const params = value.params;
    if (!isObject(params) || typeof params.type !== 'string') return fail('heartbeat without params.type');
    return ok({ type: 'heartbeat', testRequest: params.type === 'test_request' });
  }
  if (value.method === 'subscription') {
    const params = value.params;
    if (!isObject(params) || typeof params.channel !== 'string') return fail('subscription without channel');
    if (params.data === undefined) return fail(`${params.channel}: no data`);
    return parseNotification(params.channel, params.data);
  }
  return ok({ type: 'other', detail: `method ${String(value.method)}` });
}

function parseResponse(value: Obj): DeribitParseResult {
  const id = value.id;
  if (!(typeof id === 'number' || typeof id === 'string' || id === null)) return fail('invalid response id');
  if (value.error !== undefined) {
    const error = value.error;
    if (!isObject(error) || !isFiniteNumber(error.code)) return fail('error response without a code');
    return ok({
      type: 'error',
      id,
      code: error.code,
      message: typeof error.message === 'string' ? error.message : '',
    });
  }
  if (id === null) return fail('result without an id');
  return ok({ type: 'response', id, result: value.result });
}

function parseNotification(channel: string, data: unknown): DeribitParseResult {
  const [kind, ...rest] = channel.split('.');
  if (kind === 'deribit_price_index' && rest.length === 1)
    return parseIndex(channel, rest[0] as string, data);
  if (kind === 'markprice' && rest[0] === 'options' && rest.length === 2) {
    return parseOptionMarks(channel, rest[1] as string, data);
  }
  if (kind === 'ticker' && rest.length === 2) return parseTicker(channel, rest[0] as string, data);
  return ok({ type: 'other', detail: `channel ${channel}` });
}

function parseIndex(channel: string, indexName: string, data: unknown): DeribitParseResult {
  const underlying = underlyingOfIndex(indexName);
  if (underlying === null) return fail(`${channel}: unknown index ${indexName}`);
  if (!isObject(data)) return fail(`${channel}: data is not an object`);
  if (data.index_name !== undefined && data.index_name !== indexName) {
    return fail(`${channel}: index_name ${JSON.stringify(data.index_name)} does not match the channel`);
  }
  if (!isPositive(data.price)) return fail(`${channel}: price must be a positive number`);
  if (!isTimestamp(data.timestamp)) return fail(`${channel}: timestamp must be a positive integer`);
  return ok({ type: 'index', underlying, price: data.price, timestamp: data.timestamp });
}

function parseOptionMarks(channel: string, indexName: string, data: unknown): DeribitParseResult {
  const underlying = underlyingOfIndex(indexName);
  if (underlying === null) return fail(`${channel}: unknown index ${indexName}`);
  if (!Array.isArray(data)) return fail(`${channel}: data is not an array`);
  const marks: OptionMark[] = [];
  let skipped = 0;
  for (const entry of data) {
    if (!isObject(entry) || typeof entry.instrument_name !== 'string') {
      skipped++;
      continue;
    }
    const instrument = parseInstrumentName(entry.instrument_name);
    if (
      instrument === null ||
      instrument.kind !== 'option' ||
      instrument.underlying !== underlying ||
      !isPositive(entry.iv) ||
      !isFiniteNumber(entry.mark_price) ||
      entry.mark_price < 0 ||
      !isTimestamp(entry.timestamp)
    ) {
      skipped++;
      continue;
    }
    marks.push({
      instrument,
      iv: entry.iv,
      markPrice: entry.mark_price,
      timestamp: entry.timestamp,
      underlyingPrice: null,
    });
  }
  // An array with entries none of which parse is a broken frame, not an empty market.
  if (marks.length === 0 && data.length > 0)
    return fail(`${channel}: no valid option mark in ${data.length}`);
  return ok({ type: 'option-marks', underlying, marks, skipped });
}

function parseTicker(channel: string, name: string, data: unknown): DeribitParseResult {
  const instrument = parseInstrumentName(name);
  if (instrument === null) return fail(`${channel}: unknown instrument ${name}`);
  if (!isObject(data)) return fail(`${channel}: data is not an object`);
  if (data.instrument_name !== name) return fail(`${channel}: instrument_name does not match the channel`);
  if (!isTimestamp(data.timestamp)) return fail(`${channel}: timestamp must be a positive integer`);
  if (!isFiniteNumber(data.mark_price) || data.mark_price < 0) return fail(`${channel}: invalid mark_price`);
  if (!isPositive(data.index_price)) return fail(`${channel}: invalid index_price`);
  let mark: OptionMark | null = null;
  if (instrument.kind === 'option') {
    if (!isPositive(data.mark_iv)) return fail(`${channel}: an option ticker needs a positive mark_iv`);
    if (!isPositive(data.underlying_price))
      return fail(`${channel}: an option ticker needs underlying_price`);
    mark = {
      instrument,
      iv: data.mark_iv / 100, // percent on tickers
      markPrice: data.mark_price,
      timestamp: data.timestamp,
      underlyingPrice: data.underlying_price,
    };
  }
  return ok({
    type: 'ticker',
    instrument,
    timestamp: data.timestamp,
    markPrice: data.mark_price,
    indexPrice: data.index_price,
    mark,
  });
}
