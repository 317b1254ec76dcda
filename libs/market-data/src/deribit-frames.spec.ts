import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  channelsFor,
  type DeribitMessage,
  parseDeribitFrame,
  parseExpiryCode,
  parseInstrumentName,
  setHeartbeatRequest,
  subscribeRequest,
  underlyingOfIndex,
} from './deribit-frames.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/deribit/${name}`, import.meta.url), 'utf8'));

/** Recorded frames as the raw text the socket delivers. */
const frames = (name: string): string[] => (fixture(name).frames as unknown[]).map((f) => JSON.stringify(f));

const parseAll = (name: string): DeribitMessage[] =>
  frames(name).map((text) => {
    const result = parseDeribitFrame(text);
    if (!result.ok) throw new Error(result.error);
    return result.message;
  });

describe('Deribit instrument names', () => {
  it('parses options, futures and perpetuals, inverse and linear', () => {
    expect(parseInstrumentName('BTC-28MAR25-90000-C')).toEqual({
      name: 'BTC-28MAR25-90000-C',
      underlying: 'BTC',
      kind: 'option',
      expiry: new Date('2025-03-28T08:00:00Z'),
      strike: 90_000,
      optionType: 'call',
    });
    expect(parseInstrumentName('ETH-7MAR25-2200-P')).toMatchObject({
      underlying: 'ETH',
      expiry: new Date('2025-03-07T08:00:00Z'),
      optionType: 'put',
    });
    expect(parseInstrumentName('XRP_USDC-28MAR25-0d625-C')).toMatchObject({
      underlying: 'XRP',
      strike: 0.625,
    });
    expect(parseInstrumentName('BTC-27JUN25')).toMatchObject({ kind: 'future', strike: null });
    expect(parseInstrumentName('BTC_USDC-PERPETUAL')).toMatchObject({ kind: 'perpetual', underlying: 'BTC' });
  });

  it('rejects names it cannot price', () => {
    for (const name of [
      'BTC-31FEB25-90000-C',
      'BTC-28XYZ25-90000-C',
      'BTC-28MAR25-abc-C',
      'BTC-28MAR25-90000-X',
      'BTC-FS-28MAR25_PERP',
      'btc-28MAR25',
      '',
    ]) {
      expect(parseInstrumentName(name)).toBeNull();
    }
    expect(parseExpiryCode('1JAN26')).toEqual(new Date('2026-01-01T08:00:00Z'));
  });

  it('maps index names to underlyings', () => {
    expect(underlyingOfIndex('btc_usd')).toBe('BTC');
    expect(underlyingOfIndex('eth_usdc')).toBe('ETH');
    expect(underlyingOfIndex('BTC-USD')).toBeNull();
  });
});

describe('Deribit requests', () => {
  it('subscribes to the index, option mark prices and the perpetual ticker', () => {
    expect(channelsFor('BTC')).toEqual([
      'deribit_price_index.btc_usd',
      'markprice.options.btc_usd',
      'ticker.BTC-PERPETUAL.100ms',
    ]);
    expect(JSON.parse(subscribeRequest(3, channelsFor('ETH')))).toEqual({
      jsonrpc: '2.0',
      id: 3,
      method: 'public/subscribe',
      params: {
        channels: ['deribit_price_index.eth_usd', 'markprice.options.eth_usd', 'ticker.ETH-PERPETUAL.100ms'],
      },
    });
    expect(JSON.parse(setHeartbeatRequest(1, 30))).toMatchObject({
      method: 'public/set_heartbeat',
      params: { interval: 30 },
    });
  });
});

describe('parseDeribitFrame on recorded frames', () => {
  it('reads a BTC session: responses, index, option marks, tickers, heartbeat', () => {
    const messages = parseAll('btc-session.json');
    expect(messages.map((m) => m.type)).toEqual([
      'response',
      'response',
      'index',
      'option-marks',
      'ticker',
      'ticker',
      'heartbeat',
      'index',
    ]);
    expect(messages[1]).toMatchObject({ type: 'response', id: 2 });
    expect(messages[7]).toEqual({
      type: 'index',
      underlying: 'BTC',
      price: 86_543.21,
      timestamp: 1741348800000,
    });
    expect(messages[6]).toEqual({ type: 'heartbeat', testRequest: true });
  });

  it('reads every option mark with a decimal iv', () => {
    const marks = parseAll('btc-session.json')[3];
    if (marks?.type !== 'option-marks') throw new Error('expected option marks');
    expect(marks.underlying).toBe('BTC');
    expect(marks.skipped).toBe(0);
    expect(marks.marks).toHaveLength(96);
    for (const m of marks.marks) {
      expect(m.instrument.kind).toBe('option');
      expect(m.iv).toBeGreaterThan(0.2);
      expect(m.iv).toBeLessThan(2);
      expect(m.underlyingPrice).toBeNull();
    }
  });

  it('reads an option ticker: mark_iv from percent, underlying_price as the forward', () => {
    const ticker = parseAll('btc-session.json')[4];
    if (ticker?.type !== 'ticker') throw new Error('expected a ticker');
    expect(ticker.instrument.name).toBe('BTC-28MAR25-90000-C');
    expect(ticker.indexPrice).toBe(86_543.21);
    expect(ticker.mark?.iv).toBeCloseTo(0.5005, 6);
    expect(ticker.mark?.underlyingPrice).toBe(86_840.1);
    const perp = parseAll('btc-session.json')[5];
    expect(perp).toMatchObject({ type: 'ticker', mark: null, markPrice: 86_571.5 });
  });

  it('reads the ETH session', () => {
    const messages = parseAll('eth-session.json');
    const marks = messages.find((m) => m.type === 'option-marks');
    expect(marks).toMatchObject({ underlying: 'ETH', skipped: 0 });
    expect(messages.filter((m) => m.type === 'index').map((m) => m.type === 'index' && m.price)).toEqual([
      2209.44, 2210.55,
    ]);
  });

  it('reads an error response', () => {
    const result = parseDeribitFrame(JSON.stringify(fixture('error-response.json')));
    expect(result).toEqual({
      ok: true,
      message: { type: 'error', id: 7, code: -32602, message: 'Invalid params' },
    });
  });

  it('passes over channels and methods it does not use', () => {
    const other = parseDeribitFrame(
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'subscription',
        params: { channel: 'trades.BTC-PERPETUAL.100ms', data: [] },
      }),
    );
    expect(other).toEqual({
      ok: true,
      message: { type: 'other', detail: 'channel trades.BTC-PERPETUAL.100ms' },
    });
  });

  it('keeps the valid entries of an option-mark array and counts the others', () => {
    const result = parseDeribitFrame(
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'subscription',
        params: {
          channel: 'markprice.options.btc_usd',
          data: [
            {
              instrument_name: 'BTC-28MAR25-90000-C',
              iv: 0.52,
              mark_price: 0.0321,
              timestamp: 1741348800000,
            },
            { instrument_name: 'BTC-28MAR25-90000-P', iv: 'NaN', mark_price: 0.07, timestamp: 1741348800000 },
            { instrument_name: 'ETH-28MAR25-2200-C', iv: 0.7, mark_price: 0.06, timestamp: 1741348800000 },
          ],
        },
      }),
    );
    expect(result.ok && result.message.type === 'option-marks' && result.message.skipped).toBe(2);
  });
});

describe('parseDeribitFrame on malformed frames', () => {
  const cases = (fixture('malformed-frames.json').frames as Array<{ reason: string; frame: string }>).map(
    (c) => [c.reason, c.frame] as const,
  );

  it.each(cases)('rejects %s with a reason, without throwing', (_reason, frame) => {
    const result = parseDeribitFrame(frame);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.length).toBeGreaterThan(0);
  });

  it('rejects non-frames', () => {
    for (const text of ['', 'null', '42', '"text"', '{}']) expect(parseDeribitFrame(text).ok).toBe(false);
  });
});
