import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { DeribitSource } from './deribit.source.js';
import type { MarketSnapshot } from './market-snapshot.js';

interface Session {
  recordedAt: string;
  frames: unknown[];
}
const session: Session = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/deribit/btc-session.json', import.meta.url), 'utf8'),
);
const recordedAt = Date.parse(session.recordedAt);

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The socket handling against a local stand-in for the venue (never the network): it records the
 * requests and replays the recorded frames.
 */
describe('DeribitSource against a local WebSocket server', () => {
  let server: WebSocketServer;
  let url: string;
  let requests: Array<{ method: string; params: unknown }>;
  let sockets: WebSocket[];
  let source: DeribitSource | null = null;

  beforeEach(async () => {
    Logger.overrideLogger(false);
    requests = [];
    sockets = [];
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => {
      sockets.push(socket);
      socket.on('message', (data: Buffer) => requests.push(JSON.parse(data.toString('utf8'))));
    });
  });

  afterEach(async () => {
    await source?.stop();
    source = null;
    for (const s of sockets) s.terminate();
    await new Promise((resolve) => server.close(resolve));
    Logger.overrideLogger(['error']);
  });

  it('subscribes, answers heartbeats, emits calibrated snapshots, and reconnects', async () => {
    source = new DeribitSource({ intervalMs: 10, url, now: () => recordedAt, reconnectMs: 20 });
    const snapshots: MarketSnapshot[] = [];
    await source.start((s) => snapshots.push(s));
    await waitFor(() => requests.length >= 2);
    expect(requests.map((r) => r.method)).toEqual(['public/set_heartbeat', 'public/subscribe']);
    expect(requests[1]!.params).toEqual({
      channels: [
        'deribit_price_index.btc_usd',
        'markprice.options.btc_usd',
        'ticker.BTC-PERPETUAL.100ms',
        'deribit_price_index.eth_usd',
        'markprice.options.eth_usd',
        'ticker.ETH-PERPETUAL.100ms',
      ],
    });

    for (const frame of session.frames) sockets[0]!.send(JSON.stringify(frame));
    sockets[0]!.send('{"jsonrpc":"2.0","method":"subscription","params":{'); // truncated: skipped
    await waitFor(() => snapshots.length > 0);
    expect(snapshots[0]).toMatchObject({ underlying: 'BTC', spot: 86_543.21, source: 'deribit' });
    // The recorded heartbeat test_request is answered.
    await waitFor(() => requests.some((r) => r.method === 'public/test'));
    await waitFor(() => source!.rejectedFrames === 1);
    // Throttled: nothing new, nothing emitted.
    const count = snapshots.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(snapshots.length).toBe(count);

    // The venue drops the connection: the source reconnects and subscribes again.
    sockets[0]!.terminate();
    await waitFor(
      () => sockets.length === 2 && requests.filter((r) => r.method === 'public/subscribe').length === 2,
    );
  });

  it('stops without reconnecting', async () => {
    source = new DeribitSource({ intervalMs: 10, url, reconnectMs: 20 });
    await source.start(() => undefined);
    await waitFor(() => sockets.length === 1);
    await source.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.length).toBe(1);
  });
});
