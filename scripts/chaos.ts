// npm run chaos [-- --quick] : faults against the real processes under load (gateway, engine and
// quoter as separate processes on a private Redis and a fresh database). SIGKILLs each process at
// random moments, restarts and flushes Redis, drops PostgreSQL connections; then checks that no
// fill was lost or doubled, every RFQ ended final, every confirmation was delivered, and the
// ledger is clean. Writes its section of docs/reliability.md.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ApiError, RfqClient, RfqSocket } from '@app/sdk';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    out: { type: 'string', default: 'docs/reliability.md' },
    seed: { type: 'string', default: '1' },
  },
});

type Fault =
  'kill-gateway' | 'kill-engine' | 'kill-quoter' | 'restart-redis' | 'flush-redis' | 'drop-postgres';
const ALL_FAULTS: Fault[] = [
  'kill-gateway',
  'kill-engine',
  'kill-quoter',
  'restart-redis',
  'flush-redis',
  'drop-postgres',
];

let seed = Number(args.seed);
const random = () => {
  // mulberry32: a seeded schedule, so a run can be repeated.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

// Whatever happens, no process of a run outlives the orchestrator.
const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of spawned) if (c.exitCode === null) c.kill('SIGKILL');
});

class Proc {
  child: ChildProcess | null = null;
  restarts = 0;
  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly argv: string[],
    private readonly env: Record<string, string>,
    private readonly ready: RegExp,
  ) {}

  async start(): Promise<void> {
    const child = spawn(this.command, this.argv, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    spawned.add(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} not ready:\n${out.slice(-2000)}`)),
        30_000,
      );
      const on = (b: Buffer) => {
        out += b.toString();
        if (this.ready.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', on);
      child.stderr?.on('data', on);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited ${code}:\n${out.slice(-2000)}`));
      });
    });
    child.removeAllListeners('exit');
    // Keep draining output so the pipes never block the process.
    child.stdout?.removeAllListeners('data');
    child.stderr?.removeAllListeners('data');
    child.stdout?.resume();
    child.stderr?.resume();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  async restart(downMs: number): Promise<void> {
    await this.kill('SIGKILL');
    await sleep(downMs);
    this.restarts++;
    await this.start();
  }
}

interface RunResult {
  scenario: string;
  faults: Record<string, number>;
  rfqs: number;
  acceptsOk: number;
  acceptsRejected: number;
  retriesReplayed: number;
  fillsBooked: number;
  lost: number;
  doubled: number;
  rfqsNotFinal: number;
  confirmationsPending: number;
  ledgerClean: boolean;
  recoverySeconds: number;
}

async function admin(sql: string, base: URL): Promise<void> {
  const u = new URL(base);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function runScenario(
  scenario: string,
  faults: Fault[],
  seconds: number,
  template: string,
  base: URL,
): Promise<RunResult> {
  const dbName = `rfq_chaos_${process.pid}_${scenario.replace(/-/g, '_')}`;
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, base);
  await admin(`CREATE DATABASE ${dbName} TEMPLATE ${template}`, base);
  const dbUrl = new URL(base);
  dbUrl.pathname = `/${dbName}`;
  const redisPort = await freePort();
  const httpPort = await freePort();
  const redis = new Proc(
    'redis',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    /Ready to accept connections/,
  );
  await redis.start();
  const env = {
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PORT: String(httpPort),
    LOG_LEVEL: 'warn',
    WS_HEARTBEAT_MS: '1000',
    RATE_LIMIT_PER_SECOND: '10000',
    RATE_LIMIT_BURST: '10000',
    DATABASE_POOL_SIZE: '8',
  };
  const keysFile = join(tmpdir(), `${dbName}-keys.json`);
  execFileSync(process.execPath, ['dist/scripts/seed.js', '--quiet', '--keys-file', keysFile], {
    env: { ...process.env, ...env },
  });
  const keys = new Map(
    (
      JSON.parse(readFileSync(keysFile, 'utf8')) as Array<{ account: string; keyId: string; secret: string }>
    ).map((k) => [k.account, k]),
  );
  rmSync(keysFile);
  const node = process.execPath;
  const procs: Record<string, Proc> = {
    engine: new Proc(
      'engine',
      node,
      ['dist/apps/engine/src/main.js'],
      { ...env, LOG_LEVEL: 'info' },
      /engine running/,
    ),
    quoter: new Proc(
      'quoter',
      node,
      ['dist/apps/quoter/src/main.js'],
      { ...env, LOG_LEVEL: 'info' },
      /quoter running/,
    ),
    gateway: new Proc(
      'gateway',
      node,
      ['dist/apps/gateway/src/main.js'],
      { ...env, LOG_LEVEL: 'info' },
      /listening on/,
    ),
  };
  for (const p of Object.values(procs)) await p.start();
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const client = (account: string) =>
    new RfqClient(baseUrl, { apiKey: keys.get(account)!.keyId, secret: keys.get(account)!.secret });
  const db = new pg.Pool({ connectionString: dbUrl.toString(), max: 2 });
  const instrument = (
    await db.query<{ name: string }>(
      `SELECT name FROM instruments WHERE underlying = 'BTC' AND option_type = 'CALL' AND strike = 100000 ORDER BY expiry LIMIT 1`,
    )
  ).rows[0]!.name;

  // Sockets that reconnect through every gateway restart.
  const received = new Map<string, Set<string>>();
  let stopping = false;
  const keepSocket = async (account: string) => {
    const seen = received.get(account) ?? new Set<string>();
    received.set(account, seen);
    while (!stopping) {
      let socket: RfqSocket | null = null;
      try {
        socket = await client(account).connect({ channels: ['trades'] });
        socket.onNotification((n) => {
          if (n.data.event === 'fill.booked') seen.add(String(n.data.id));
        });
        while (!stopping && !socket.closeInfo) await sleep(100);
      } catch {
        await sleep(200);
      } finally {
        if (stopping) await socket?.close().catch(() => undefined);
      }
    }
  };
  const socketLoops = ['taker-alpha', 'taker-bravo', 'maker-foxtrot'].map((a) => keepSocket(a));

  const retrying = async <T>(work: () => Promise<T>, deadlineMs = 60_000): Promise<T> => {
    const until = Date.now() + deadlineMs;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        const transient =
          !(error instanceof ApiError) ||
          error.status >= 500 ||
          error.status === 429 ||
          error.code === 'AUTH.REPLAYED';
        if (!transient || Date.now() > until) throw error;
        await sleep(150 + random() * 250);
      }
    }
  };

  const stats = { rfqs: 0, acceptsOk: 0, acceptsRejected: 0, retriesReplayed: 0 };
  const executions = new Map<string, string>(); // idempotency key -> executionId (every 200 must agree)
  let mismatched = 0;
  const endAt = Date.now() + seconds * 1000;
  const tradeLoop = async (taker: string) => {
    const t = client(taker);
    const m = client('maker-foxtrot');
    while (Date.now() < endAt) {
      try {
        const clientRfqId = randomUUID();
        const rfq = await retrying(() =>
          t.createRfq({
            clientRfqId,
            legs: [{ instrument, side: 'BUY' }],
            quantity: '1',
            expiresInSeconds: 6,
          }),
        );
        stats.rfqs++;
        const clientQuoteId = randomUUID();
        const quote = await retrying(() =>
          m.submitQuote({
            rfqId: rfq.id,
            clientQuoteId,
            ask: { price: '4100', quantity: '1' },
            validForSeconds: 5,
          }),
        );
        const key = randomUUID();
        let attempts = 0;
        const execution = await retrying(() => {
          attempts++;
          return t.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }, key);
        });
        if (attempts > 1) stats.retriesReplayed++;
        const seen = executions.get(key);
        if (seen && seen !== execution.executionId) mismatched++;
        executions.set(key, execution.executionId);
        // Ask again with the same key: the original result, whatever happened in between.
        const again = await retrying(() => t.accept(rfq.id, { quoteId: quote.id, side: 'BUY' }, key));
        if (again.executionId !== execution.executionId) mismatched++;
        stats.acceptsOk++;
      } catch (error) {
        stats.acceptsRejected++;
        if (!(error instanceof ApiError)) await sleep(200);
      }
    }
  };

  const faultCounts: Record<string, number> = {};
  let lastFaultAt = Date.now();
  const faultLoop = async () => {
    await sleep(1500);
    while (Date.now() < endAt - 1500) {
      const fault = faults[Math.floor(random() * faults.length)]!;
      faultCounts[fault] = (faultCounts[fault] ?? 0) + 1;
      lastFaultAt = Date.now();
      switch (fault) {
        case 'kill-gateway':
          await procs.gateway!.restart(300 + random() * 700);
          break;
        case 'kill-engine':
          await procs.engine!.restart(300 + random() * 700);
          break;
        case 'kill-quoter':
          await procs.quoter!.restart(300 + random() * 700);
          break;
        case 'restart-redis':
          await redis.restart(300 + random() * 500);
          break;
        case 'flush-redis':
          execFileSync('redis-cli', ['-p', String(redisPort), 'FLUSHALL']);
          break;
        case 'drop-postgres':
          await db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
            [dbName],
          );
          break;
      }
      lastFaultAt = Date.now();
      await sleep(1500 + random() * 2500);
    }
  };

  await Promise.all([
    faultLoop(),
    tradeLoop('taker-alpha'),
    tradeLoop('taker-bravo'),
    tradeLoop('taker-alpha'),
  ]);

  // Recovery: every RFQ final, every event relayed, every confirmation delivered.
  const recoveryDeadline = Date.now() + 90_000;
  const counts = async () =>
    (
      await db.query<{ open: number; pending: number; unconfirmed: number }>(
        `SELECT (SELECT count(*)::int FROM rfqs WHERE state IN ('OPEN', 'PARTIALLY_FILLED')) AS open,
                (SELECT count(*)::int FROM outbox_events WHERE state = 'PENDING') AS pending,
                (SELECT count(*)::int FROM trade_confirmations WHERE state = 'PENDING') AS unconfirmed`,
      )
    ).rows[0]!;
  let c = await counts();
  while ((c.open > 0 || c.pending > 0 || c.unconfirmed > 0) && Date.now() < recoveryDeadline) {
    await sleep(500);
    c = await counts().catch(() => c);
  }
  const recoverySeconds = (Date.now() - lastFaultAt) / 1000;
  stopping = true;
  await Promise.all(socketLoops);

  const fills = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM fills`)).rows[0]!.n;
  const lostRows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::uuid[]) AS e(id) WHERE NOT EXISTS (SELECT 1 FROM fills f WHERE f.execution_id = e.id)`,
    [[...executions.values()]],
  );
  const doubled = (
    await db.query<{ n: number }>(
      `SELECT (SELECT count(*)::int FROM (SELECT quote_id FROM fills GROUP BY quote_id HAVING sum(quantity) > 1) x)
            + (SELECT count(*)::int FROM (SELECT rfq_id FROM fills GROUP BY rfq_id HAVING count(DISTINCT execution_id) > 1) y) AS n`,
    )
  ).rows[0]!.n;
  let ledgerClean = true;
  try {
    execFileSync(process.execPath, ['dist/scripts/ledger-check.js'], {
      env: { ...process.env, ...env },
      stdio: 'pipe',
    });
  } catch {
    ledgerClean = false;
  }
  for (const p of Object.values(procs)) await p.kill('SIGTERM');
  await redis.kill('SIGKILL');
  await db.end();
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, base);
  return {
    scenario,
    faults: faultCounts,
    rfqs: stats.rfqs,
    acceptsOk: stats.acceptsOk,
    acceptsRejected: stats.acceptsRejected,
    retriesReplayed: stats.retriesReplayed,
    fillsBooked: fills,
    lost: lostRows.rows[0]!.n,
    doubled: doubled + mismatched,
    rfqsNotFinal: c.open,
    confirmationsPending: c.unconfirmed,
    ledgerClean,
    recoverySeconds: Math.round(recoverySeconds * 10) / 10,
  };
}

function markdown(results: RunResult[], quick: boolean): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | 1 | ${
        Object.entries(r.faults)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ') || 'none'
      } | ${r.rfqs} | ${r.fillsBooked} | ${r.retriesReplayed} | **${r.lost}** | **${r.doubled}** | ${r.rfqsNotFinal} | ${r.confirmationsPending} | ${r.ledgerClean ? 'clean' : 'FAILED'} | ${r.recoverySeconds} s |`,
  );
  return [
    '<!-- chaos:start -->',
    `Measured by \`npm run chaos${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)} (seeded fault schedule; gateway, engine and quoter as separate processes, a private Redis, a fresh database).`,
    '',
    '| scenario | runs | faults injected | RFQs | fills booked | accepts retried with the same key | lost | doubled | RFQs not final | confirmations undelivered | ledger check | recovery |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Lost = an accept answered 200 whose execution has no fill; doubled = a quote filled beyond its quantity, an RFQ filled by two executions, or one idempotency key answered with two different executions. Recovery = time from the last fault until every RFQ was final, every outbox event relayed and every confirmation delivered.',
    '<!-- chaos:end -->',
  ].join('\n');
}

async function main(): Promise<void> {
  const quick = args.quick ?? false;
  const seconds = Number(args.seconds ?? (quick ? 20 : 40));
  const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
  const template = `rfq_chaos_template_${process.pid}`;
  await admin(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`, base);
  await admin(`CREATE DATABASE ${template}`, base);
  const templateUrl = new URL(base);
  templateUrl.pathname = `/${template}`;
  log('migrating a template database');
  execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: templateUrl.toString() },
    stdio: 'pipe',
  });
  const plan: Array<[string, Fault[]]> = quick
    ? [['mixed', ALL_FAULTS]]
    : [...ALL_FAULTS.map((f): [string, Fault[]] => [f, [f]]), ['mixed', ALL_FAULTS]];
  const results: RunResult[] = [];
  try {
    for (const [name, faults] of plan) {
      log(`scenario ${name}: ${seconds} s under load`);
      const r = await runScenario(name, faults, seconds, template, base);
      log(JSON.stringify(r));
      results.push(r);
    }
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`, base);
  }
  const section = markdown(results, quick);
  if (!quick || !existsSync(args.out)) {
    const doc = existsSync(args.out)
      ? readFileSync(args.out, 'utf8')
      : '# Reliability\n\n## Faults against the real processes\n\n';
    const next = /<!-- chaos:start -->[\s\S]*<!-- chaos:end -->/.test(doc)
      ? doc.replace(/<!-- chaos:start -->[\s\S]*<!-- chaos:end -->/, section)
      : doc.replace(
          /## Faults against the real processes\n(\s*to be written\s*\n)?/,
          `## Faults against the real processes\n\n${section}\n`,
        );
    writeFileSync(
      args.out,
      next.includes(section) ? next : `${next}\n\n## Faults against the real processes\n\n${section}\n`,
    );
  }
  process.stdout.write(`${section}\n`);
  const failed = results.filter(
    (r) => r.lost > 0 || r.doubled > 0 || !r.ledgerClean || r.rfqsNotFinal > 0 || r.confirmationsPending > 0,
  );
  process.stdout.write(`CHAOS_RESULT ${JSON.stringify({ ok: failed.length === 0, results })}\n`);
  process.exit(failed.length === 0 ? 0 : 1);
}

await main();
