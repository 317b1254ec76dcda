import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Decimal } from '@app/core';
import { InfraModule } from '@app/db';
import {
  markFor,
  MarketDataModule,
  MarketDataPublisher,
  MarketDataService,
  MarketDataUnavailableError,
  type MarketSnapshot,
  parseSnapshot,
  type PricedInstrument,
  snapshotKey,
  updatesChannel,
} from '@app/market-data';
import { Redis } from 'ioredis';
import { createTestEnv, TestEnv } from './support/test-env.js';

const MAX_AGE_MS = 300;

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The simulator published by one context (the engine's role), read over Redis by others (quoter, gateway). */
describe('market data over Redis', () => {
  let env: TestEnv;
  let overrides: Record<string, string>;
  const contexts: INestApplicationContext[] = [];
  let publisherApp: INestApplicationContext;
  let reader: MarketDataService;
  let publisher: MarketDataPublisher;

  async function startContext(publish: boolean): Promise<INestApplicationContext> {
    @Module({ imports: [InfraModule.forRoot(overrides), MarketDataModule.forRoot({ publish })] })
    class MarketDataTestModule {}
    const app = await NestFactory.createApplicationContext(MarketDataTestModule, { logger: ['error'] });
    await app.init();
    contexts.push(app);
    return app;
  }

  const atmCall = (expiry: Date): PricedInstrument => ({
    name: 'BTC-TEST-100000-C',
    kind: 'OPTION',
    underlying: 'BTC',
    expiry,
    strike: new Decimal(100_000),
    optionType: 'CALL',
    multiplier: new Decimal(1),
  });

  beforeAll(async () => {
    env = await createTestEnv('md');
    overrides = {
      ...env.overrides,
      MARKET_DATA_SOURCE: 'simulator',
      MARKET_DATA_SEED: '7',
      MARKET_DATA_INTERVAL_MS: '20',
      MARKET_DATA_MAX_AGE_MS: String(MAX_AGE_MS),
    };
    // The reader first: it must pick up the publisher's very first snapshots over pub/sub.
    const readerApp = await startContext(false);
    reader = readerApp.get(MarketDataService);
    publisherApp = await startContext(true);
    publisher = publisherApp.get(MarketDataPublisher);
  });

  afterAll(async () => {
    for (const app of contexts.reverse()) await app.close();
    // Undefined when beforeAll failed early: let its error be the one reported.
    await env?.drop();
  });

  it('has no publisher where publish is false', async () => {
    const readerApp = contexts[0]!;
    expect(() => readerApp.get(MarketDataPublisher)).toThrow();
  });

  it('delivers fresh snapshots of every underlying to the other context', async () => {
    const seen: MarketSnapshot[] = [];
    const unsubscribe = reader.onUpdate((s) => seen.push(s));
    await waitFor(() => seen.filter((s) => s.underlying === 'BTC').length >= 5);
    unsubscribe();
    expect(reader.isFresh('BTC')).toBe(true);
    expect(reader.isFresh('ETH')).toBe(true);
    expect(reader.isFresh('SOL')).toBe(false);
    const btc = reader.latest('BTC')!;
    expect(btc).toMatchObject({ underlying: 'BTC', source: 'simulator' });
    expect(btc.spot).toBeGreaterThan(95_000);
    expect(btc.spot).toBeLessThan(105_000);
    expect(reader.latest('ETH')!.spot).toBeGreaterThan(3_000);
    // Updates arrive in order and the path moves.
    const btcSeen = seen.filter((s) => s.underlying === 'BTC');
    for (let i = 1; i < btcSeen.length; i++) {
      expect(btcSeen[i]!.timestamp).toBeGreaterThanOrEqual(btcSeen[i - 1]!.timestamp);
    }
    expect(new Set(btcSeen.map((s) => s.spot)).size).toBeGreaterThan(1);
  });

  it('prices from the latest snapshot', () => {
    const now = new Date();
    const call = atmCall(new Date(now.getTime() + 30 * 86_400_000));
    const snapshot = reader.latest('BTC')!;
    const mark = reader.mark(call, now);
    // Unless a newer snapshot landed between the two reads, the service prices off `latest`.
    if (reader.latest('BTC') === snapshot) expect(mark).toBe(markFor(snapshot, call, now));
    expect(mark).toBeGreaterThan(4_000);
    expect(mark).toBeLessThan(8_000);
    const greeks = reader.greeks(call, now);
    expect(greeks.delta).toBeGreaterThan(0.4);
    expect(greeks.delta).toBeLessThan(0.65);
  });

  it('writes the latest-snapshot key and publishes on the updates channel', async () => {
    const redis = new Redis(env.redisUrl);
    const subscriber = new Redis(env.redisUrl);
    try {
      const stored = parseSnapshot((await redis.get(snapshotKey(env.queuePrefix, 'ETH'))) ?? '');
      expect(stored).toMatchObject({ underlying: 'ETH', source: 'simulator' });
      const message = new Promise<string>((resolve) =>
        subscriber.once('message', (_c, m: string) => resolve(m)),
      );
      await subscriber.subscribe(updatesChannel(env.queuePrefix));
      expect(parseSnapshot(await message)).not.toBeNull();
    } finally {
      subscriber.disconnect();
      await redis.quit();
    }
  });

  it('reports stale when publishing stops, and refuses to price', async () => {
    await publisher.stop();
    expect(publisher.isRunning).toBe(false);
    await waitFor(() => !reader.isFresh('BTC') && !reader.isFresh('ETH'), 2_000);
    const stoppedAt = reader.latest('BTC')!.timestamp;
    expect(Date.now() - stoppedAt).toBeGreaterThan(MAX_AGE_MS);
    const call = atmCall(new Date(Date.now() + 30 * 86_400_000));
    expect(() => reader.mark(call)).toThrow(MarketDataUnavailableError);
    expect(() => reader.greeks(call)).toThrow(/market data for BTC is \d+ ms old/);
  });

  it('loads the latest snapshots from Redis when a process starts', async () => {
    const late = (await startContext(false)).get(MarketDataService);
    // No update has been published since the stop: these came from the keys.
    expect(late.latest('BTC')).toEqual(reader.latest('BTC'));
    expect(late.latest('ETH')).toEqual(reader.latest('ETH'));
    expect(late.isFresh('BTC')).toBe(false);
  });

  it('is fresh again as soon as publishing resumes', async () => {
    const before = reader.latest('BTC')!;
    await publisher.start();
    await waitFor(() => reader.isFresh('BTC') && reader.isFresh('ETH'), 2_000);
    const after = reader.latest('BTC')!;
    expect(after.timestamp).toBeGreaterThan(before.timestamp);
    // The path continues from where it stopped rather than restarting at s0.
    expect(Math.abs(Math.log(after.spot / before.spot))).toBeLessThan(0.01);
    expect(reader.mark(atmCall(new Date(Date.now() + 30 * 86_400_000)))).toBeGreaterThan(0);
  });

  it('stops the source and the subscriber on close', async () => {
    const published = publisher.published;
    await publisherApp.close();
    contexts.splice(contexts.indexOf(publisherApp), 1);
    expect(publisher.isRunning).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publisher.published).toBe(published);
    await waitFor(() => !reader.isFresh('BTC'), 2_000);
  });
});
