// npm run latency [-- --rfqs 1000 --rate 20]: RFQ submit → first quote seen on the taker's socket,
// and accept → fill confirmation seen on the taker's socket, through the deployed processes
// (gateway, engine, quoter) on a fresh database, over HTTP and WebSocket only. Open loop: RFQs
// leave on a fixed schedule and latency is measured from the scheduled time.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { RfqClient } from '@app/sdk';

const { values } = parseArgs({
  options: {
    rfqs: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    accept: { type: 'string', default: '0.3' },
  },
});
const N = Number(values.rfqs);
const RATE = Number(values.rate);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function start(script: string, env: Record<string, string>, ready: RegExp): Promise<void> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const on = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) resolve();
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (c) => reject(new Error(`${script} exited ${c}: ${out.slice(-1000)}`)));
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
const dbName = `rfq_latency_${process.pid}`;
const admin = new URL(base);
admin.pathname = '/postgres';
const adminClient = new pg.Client({ connectionString: admin.toString() });
await adminClient.connect();
await adminClient.query(`CREATE DATABASE ${dbName}`);
const dbUrl = new URL(base);
dbUrl.pathname = `/${dbName}`;
try {
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: dbUrl.toString() },
    stdio: 'pipe',
  });
  const keysFile = join(tmpdir(), `${dbName}.json`);
  const port = await freePort();
  const env = {
    DATABASE_URL: dbUrl.toString(),
    PORT: String(port),
    LOG_LEVEL: 'info',
    QUEUE_PREFIX: `{lat${process.pid}}`,
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
  };
  execFileSync(process.execPath, ['dist/scripts/seed.js', '--quiet', '--keys-file', keysFile], {
    env: { ...process.env, ...env },
  });
  const keys = new Map(
    (
      JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ account: string; keyId: string; secret: string }>
    ).map((k) => [k.account, k]),
  );
  rmSync(keysFile);
  await start('dist/apps/engine/src/main.js', env, /engine running/);
  await start('dist/apps/quoter/src/main.js', env, /quoter running/);
  await start('dist/apps/gateway/src/main.js', env, /listening on/);
  const url = `http://127.0.0.1:${port}`;
  const client = (a: string) =>
    new RfqClient(url, { apiKey: keys.get(a)!.keyId, secret: keys.get(a)!.secret });
  const taker = client('taker-alpha');
  const maker = client('maker-foxtrot');
  const instruments = (await taker.instruments()).data.filter(
    (i) => i.kind === 'OPTION' && i.underlying === 'BTC',
  );
  const takerWs = await taker.connect({ channels: ['quotes', 'trades'] });
  const makerWs = await maker.connect({ channels: ['rfqs'] });
  // An external maker that answers every RFQ at once from its socket.
  makerWs.onNotification((n) => {
    if (n.data.event !== 'rfq.created') return;
    makerWs
      .call('quote.submit', {
        rfqId: n.data.id,
        clientQuoteId: randomUUID(),
        bid: { price: '100', quantity: String(n.data.quantity) },
        ask: { price: '50000', quantity: String(n.data.quantity) },
        validForSeconds: 30,
      })
      .catch(() => undefined);
  });
  const firstQuote = new Map<string, number>();
  const fills = new Map<string, number>();
  takerWs.onNotification((n) => {
    const rfqId = typeof n.data.rfqId === 'string' ? n.data.rfqId : '';
    if (n.channel === 'quotes' && n.data.event === 'quote.created' && !firstQuote.has(rfqId))
      firstQuote.set(rfqId, n.receivedAt);
    if (n.channel === 'trades' && n.data.event === 'fill.booked')
      fills.set(String(n.data.executionId), n.receivedAt);
  });
  await sleep(1500);
  const rfqLat: number[] = [];
  const fillLat: number[] = [];
  const t0 = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < N; i++) {
    const scheduled = t0 + (i * 1000) / RATE;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      (async () => {
        const rfq = await taker.createRfq({
          legs: [{ instrument: instruments[i % instruments.length]!.name, side: 'BUY' }],
          quantity: '1',
          expiresInSeconds: 30,
        });
        const deadline = performance.now() + 5000;
        while (!firstQuote.has(rfq.id) && performance.now() < deadline) await sleep(1);
        if (!firstQuote.has(rfq.id)) return;
        rfqLat.push(firstQuote.get(rfq.id)! - scheduled);
        if (i % Math.round(1 / Number(values.accept)) !== 0) return;
        const view = await taker.rfq(rfq.id);
        if (!view.bestAsk) return;
        const sent = performance.now();
        const execution = await taker.accept(rfq.id, { quoteId: view.bestAsk.quoteId, side: 'BUY' });
        const end = performance.now() + 5000;
        while (!fills.has(execution.executionId) && performance.now() < end) await sleep(1);
        if (fills.has(execution.executionId)) fillLat.push(fills.get(execution.executionId)! - sent);
      })().catch(() => undefined),
    );
  }
  await Promise.all(pending);
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `n=${s.length} p50 ${pct(s, 50).toFixed(1)} ms  p99 ${pct(s, 99).toFixed(1)} ms  max ${s[s.length - 1]?.toFixed(1)} ms`;
  };
  console.log(`RFQ submit -> first quote on the taker's socket (${RATE}/s): ${fmt(rfqLat)}`);
  console.log(`accept -> fill confirmation on the taker's socket: ${fmt(fillLat)}`);
  await takerWs.close();
  await makerWs.close();
} finally {
  children.forEach((c) => c.kill('SIGTERM'));
  await sleep(1500);
  await adminClient.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await adminClient.end();
  process.exit(0);
}
