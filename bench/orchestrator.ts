// Starts each system (the platform as deployed, then the floor), forks the load process against it,
// and runs the phases: warm-up, idle-socket memory probe, the rate ladder (several runs per rate),
// and the fill burst. CPU comes from /proc/<pid>/stat around each measured window, event-loop delay
// from each process's own histogram (Prometheus gauges on the platform, /stats on the floor).
import { type ChildProcess, execFile, execFileSync, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueApiKey } from '@app/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  type BurstResult,
  type Cred,
  cpuMs,
  freePort,
  type FromLoad,
  type InstrumentSpec,
  type LoopDelay,
  loopDelayMs,
  median,
  type PhaseResult,
  rssBytes,
  sleep,
  type ToLoad,
} from './common.js';
import type { FloorSeed } from './floor.js';

/** The compiled tree this file runs from (dist/ or dist-bench/) and the repository above it. */
export const BUILD_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Plan {
  quick: boolean;
  rates: number[];
  runs: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  acceptShare: number;
  rfqExpirySeconds: number;
  burstCount: number;
  burstConcurrency: number;
  sockets: number;
  settleMaxMs: number;
  /** Time the rate ladder of one system may take; past it, no higher rate is started. */
  ladderBudgetMs: number;
  /** Epoch ms by which the whole run should be over (a ladder also stops when this comes near). */
  mustEndBy: number;
  /** What the burst, teardown and report need after a ladder. */
  reserveMs: number;
  profile: boolean;
  profileDir: string;
  seed: number;
}

export interface RunRecord {
  result: PhaseResult;
  /** CPU milliseconds per RFQ sent in the window, by process. */
  cpuPerRfq: Record<string, number>;
  loop: Record<string, LoopDelay>;
}

export interface RateRecord {
  rate: number;
  runs: RunRecord[];
}

export interface MemoryRecord {
  process: string;
  connections: number;
  failed: number;
  rssBefore: number;
  rssAfter: number;
  bytesPerConnection: number;
  openMs: number;
  errorSamples: string[];
}

export interface SystemReport {
  name: 'platform' | 'floor';
  processes: string[];
  rates: RateRecord[];
  burst: (BurstResult & { cpuPerFill: Record<string, number> }) | null;
  memory: MemoryRecord | null;
  idleCpuPercent: number;
  /** Idle CPU by process, percent of one core. */
  idleCpu: Record<string, number>;
  profiles: Record<string, Array<{ fn: string; selfMs: number; percent: number }>>;
  problems: string[];
}

type Log = (line: string) => void;

// ---------------------------------------------------------------------------------------------
// Child processes: every one is killed when the bench ends, however it ends.

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  /** performance.now() when it was started. */
  spawnedAt: number;
  output(): string;
  outputBytes(): number;
  stop(timeoutMs?: number): Promise<void>;
}

/** Where every child's whole output goes too (--logs DIR); otherwise only its tail is kept. */
let logDir: string | null = null;
export function setLogDir(dir: string | null): void {
  logDir = dir;
  if (dir) mkdirSync(dir, { recursive: true });
}

function track(name: string, child: ChildProcess): Started {
  children.add(child);
  let output = '';
  let bytes = 0;
  const file = logDir ? join(logDir, `${name}.log`) : null;
  const collect = (chunk: Buffer) => {
    bytes += chunk.length;
    output = (output + chunk.toString()).slice(-20_000);
    if (file) appendFileSync(file, chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', () => children.delete(child));
  return {
    name,
    child,
    pid: child.pid ?? -1,
    spawnedAt: performance.now(),
    output: () => output,
    outputBytes: () => bytes,
    stop: (timeoutMs = 15_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function startNode(
  name: string,
  script: string,
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  nodeArgs: string[] = [],
  timeoutMs = 60_000,
): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = track(name, child);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${started.output()}`);
    if (await ready().catch(() => false)) return started;
    if (Date.now() > deadline) {
      await started.stop(2000);
      throw new Error(`${name} not ready in ${timeoutMs} ms:\n${started.output()}`);
    }
    await sleep(200);
  }
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
  });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and Redis housekeeping.

const BASE_DB = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(BASE_DB);
  url.pathname = `/${name}`;
  return url.toString();
}

let adminClient: pg.Client | null = null;
const createdDatabases = new Set<string>();
const redisPrefixes = new Set<string>();

export async function admin(): Promise<pg.Client> {
  if (adminClient) return adminClient;
  const client = new pg.Client({ connectionString: databaseUrl('postgres'), application_name: 'rfq-bench' });
  client.on('error', () => undefined);
  await client.connect();
  adminClient = client;
  return client;
}

async function createDatabase(name: string): Promise<void> {
  const client = await admin();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${name}`);
  createdDatabases.add(name);
}

async function dropDatabase(name: string): Promise<void> {
  const client = await admin();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  createdDatabases.delete(name);
}

async function clearRedis(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redisPrefixes.delete(prefix);
  } finally {
    redis.disconnect();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

/** Databases and Redis keys left by benches that were killed before they could clean up. */
export async function dropStale(log: Log): Promise<void> {
  const client = await admin();
  const { rows } = await client.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname ~ '^rfq_bench_(floor_)?[0-9]+$'`,
  );
  for (const { datname } of rows) {
    const pid = Number(datname.split('_').pop());
    if (pid === process.pid || alive(pid)) continue;
    await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
    await clearRedis(`{bench${pid}}`).catch(() => undefined);
    log(`dropped ${datname}, left by a bench that is gone`);
  }
}

/** Everything the bench created, undone: children, databases, Redis keys. Safe to call twice. */
export async function cleanupAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of [...createdDatabases]) await dropDatabase(name).catch(() => undefined);
  for (const prefix of [...redisPrefixes]) await clearRedis(prefix).catch(() => undefined);
  await adminClient?.end().catch(() => undefined);
  adminClient = null;
}

export async function redisPid(): Promise<{ pid: number | null; version: string }> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return {
      pid: Number(/process_id:(\d+)/.exec(info)?.[1] ?? NaN) || null,
      version: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown',
    };
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The load process.

class LoadClient {
  private readonly waiters = new Map<string, (m: FromLoad) => void>();
  private markHandler: ((id: number, what: 'start' | 'end') => void) | null = null;
  private failure: Error | null = null;
  readonly proc: Started;

  constructor() {
    const child = fork(join(BUILD_ROOT, 'bench/load.js'), [], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.proc = track('load', child);
    child.on('message', (m: FromLoad) => this.dispatch(m));
    child.once('exit', (code) => {
      this.failure ??= new Error(`load process exited (${code}):\n${this.proc.output()}`);
      for (const w of this.waiters.values()) w({ type: 'error', message: this.failure.message });
      this.waiters.clear();
    });
  }

  private dispatch(m: FromLoad): void {
    if (m.type === 'mark') return this.markHandler?.(m.id, m.what);
    if (m.type === 'error') {
      this.failure = new Error(`load process: ${m.message}`);
      for (const w of this.waiters.values()) w(m);
      this.waiters.clear();
      return;
    }
    const key = m.type === 'ready' ? 'ready' : `${m.id}`;
    const w = this.waiters.get(key);
    this.waiters.delete(key);
    w?.(m);
  }

  onMark(handler: ((id: number, what: 'start' | 'end') => void) | null): void {
    this.markHandler = handler;
  }

  request(message: ToLoad, key: string): Promise<FromLoad> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.set(key, (m) => (m.type === 'error' ? reject(new Error(m.message)) : resolve(m)));
      this.proc.child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.child.connected) this.proc.child.send({ type: 'stop' } satisfies ToLoad);
    await Promise.race([new Promise((r) => this.proc.child.once('exit', r)), sleep(5000)]);
    await this.proc.stop(2000);
  }
}

// ---------------------------------------------------------------------------------------------
// The systems under test.

interface System {
  name: 'platform' | 'floor';
  baseUrl: string;
  takers: Cred[];
  makers: Cred[];
  idle: Cred;
  instruments: InstrumentSpec[];
  /** The processes whose CPU is charged to the system (postgres is added separately). */
  procs(): Started[];
  /** The process that holds the WebSocket connections. */
  socketProcess(): Started;
  database: string;
  resetLoop(): Promise<void>;
  readLoop(): Promise<Record<string, LoopDelay>>;
  stop(): Promise<void>;
  /** Top functions of each process's CPU profile from `fromMs` (performance.now()) on. */
  profiles(fromMs: number): Record<string, Array<{ fn: string; selfMs: number; percent: number }>>;
}

const TAKERS = ['taker-alpha', 'taker-bravo', 'taker-charlie'];
/** Built-in makers of the seed (quoting in the quoter) and the external ones the bench adds. */
const BUILT_IN_MAKERS = ['maker-delta', 'maker-echo'];
const EXTERNAL_MAKERS = ['maker-foxtrot', ...Array.from({ length: 7 }, (_, i) => `bench-maker-${i + 1}`)];
const IDLE_ACCOUNT = 'bench-idle';
const ENCRYPTION_KEY =
  process.env.API_KEY_ENCRYPTION_KEY ?? '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

function parseLoop(metrics: string): LoopDelay {
  const value = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(metrics);
    // prom-client's gauges come from monitorEventLoopDelay with the same 10 ms resolution.
    return m ? loopDelayMs(Number(m[1]) * 1e9) : NaN;
  };
  return {
    p50: value('nodejs_eventloop_lag_p50_seconds'),
    p99: value('nodejs_eventloop_lag_p99_seconds'),
    max: value('nodejs_eventloop_lag_max_seconds'),
  };
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/**
 * Self time per function of a V8 CPU profile, top 15, leaving out the first `skipUs` (start-up and
 * warm-up: the profile covers the whole life of the process).
 */
function topFunctions(file: string, skipUs: number): Array<{ fn: string; selfMs: number; percent: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    elapsed += profile.timeDeltas[i] ?? 0;
    if (elapsed < skipUs) return;
    const node = byId.get(id);
    if (!node) return;
    const f = node.callFrame;
    if (f.functionName === '(idle)') return;
    const url = f.url.replace(/^file:\/\//, '').replace(REPO_ROOT, '');
    const key = f.url ? `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}` : f.functionName;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([fn, us]) => ({ fn, selfMs: us / 1000, percent: total > 0 ? (100 * us) / total : 0 }));
}

interface InstrumentRow {
  id: string;
  name: string;
  kind: InstrumentSpec['kind'];
  underlying: string;
  expiry: Date | null;
  strike: string | null;
  option_type: 'CALL' | 'PUT' | null;
  tick_size: string;
  lot_size: string;
  contract_multiplier: string;
}

const trimDecimal = (s: string) => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);

async function startPlatform(plan: Plan, log: Log): Promise<System> {
  const database = `rfq_bench_${process.pid}`;
  const prefix = `{bench${process.pid}}`;
  await createDatabase(database);
  redisPrefixes.add(prefix);
  const url = databaseUrl(database);
  let t = performance.now();
  await run('npx', ['prisma', 'migrate', 'deploy'], { DATABASE_URL: url });
  log(`  platform: database ${database} migrated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const keysFile = join(tmpdir(), `${database}-keys.json`);
  const env: Record<string, string> = {
    DATABASE_URL: url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    API_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY,
    // The benchmark measures the platform, not its per-key throttle.
    RATE_LIMIT_PER_SECOND: '100000',
    RATE_LIMIT_BURST: '100000',
  };
  await run(process.execPath, [join(BUILD_ROOT, 'scripts/seed.js'), '--quiet', '--keys-file', keysFile], env);
  const seeded = JSON.parse(readFileSync(keysFile, 'utf8')) as Array<Cred & { role: string }>;
  rmSync(keysFile, { force: true });
  const creds = new Map<string, Cred>(
    seeded.map((k) => [k.account, { account: k.account, keyId: k.keyId, secret: k.secret }]),
  );

  // More external makers (the seed has one) and an account for the idle sockets: the admin API
  // has no endpoint that creates accounts, so they are written the way the seed writes them.
  const db = new pg.Client({ connectionString: url, application_name: 'rfq-bench-setup' });
  await db.connect();
  try {
    for (const [name, role] of [
      ...EXTERNAL_MAKERS.filter((m) => !creds.has(m)).map((m) => [m, 'MAKER'] as const),
      [IDLE_ACCOUNT, 'TAKER'] as const,
    ]) {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO accounts (id, name, role, maker_fee_bps, taker_fee_bps) VALUES (gen_random_uuid(), $1, $2, $3, $4) RETURNING id`,
        [name, role, role === 'MAKER' ? '1' : '0', role === 'TAKER' ? '3' : '0'],
      );
      const issued = issueApiKey(ENCRYPTION_KEY);
      await db.query(
        `INSERT INTO api_keys (id, account_id, label, secret_hash, secret_cipher, scopes) VALUES ($1, $2, 'bench', $3, $4, ARRAY['READ', 'TRADE']::"ApiKeyScope"[])`,
        [issued.keyId, rows[0]!.id, issued.secretHash, issued.secretCipher],
      );
      creds.set(name, { account: name, keyId: issued.keyId, secret: issued.secret });
    }
    const { rows: enabled } = await db.query<{ name: string }>(
      `SELECT a.name FROM maker_strategies s JOIN accounts a ON a.id = s.maker_id WHERE s.enabled ORDER BY a.name`,
    );
    if (enabled.map((r) => r.name).join(',') !== BUILT_IN_MAKERS.join(','))
      log(`  platform: note: built-in makers enabled by the seed: ${enabled.map((r) => r.name).join(', ')}`);
  } finally {
    await db.end();
  }
  const { rows: instrumentRows } = await (async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query<InstrumentRow>(
        `SELECT id, name, kind, underlying, expiry, strike::text, option_type, tick_size::text, lot_size::text,
                contract_multiplier::text FROM instruments WHERE active ORDER BY name`,
      );
    } finally {
      await c.end();
    }
  })();
  const instruments: InstrumentSpec[] = instrumentRows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    underlying: r.underlying,
    expiry: r.expiry?.toISOString() ?? null,
    strike: r.strike === null ? null : trimDecimal(r.strike),
    optionType: r.option_type,
    tickSize: trimDecimal(r.tick_size),
    lotSize: trimDecimal(r.lot_size),
    multiplier: trimDecimal(r.contract_multiplier),
  }));
  log(
    `  platform: seeded (${instruments.length} instruments, ${creds.size} keys) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );

  t = performance.now();
  const [port, enginePort, quoterPort] = [await freePort(), await freePort(), await freePort()];
  const profArgs = (name: string) =>
    plan.profile
      ? ['--cpu-prof', `--cpu-prof-dir=${plan.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
  const procs: Started[] = [];
  const starting = await Promise.allSettled([
    startNode(
      'engine',
      join(BUILD_ROOT, 'apps/engine/src/main.js'),
      { ...env, METRICS_PORT: String(enginePort) },
      () => httpOk(`http://127.0.0.1:${enginePort}/health`),
      profArgs('engine'),
    ),
    startNode(
      'quoter',
      join(BUILD_ROOT, 'apps/quoter/src/main.js'),
      { ...env, METRICS_PORT: String(quoterPort) },
      () => httpOk(`http://127.0.0.1:${quoterPort}/health`),
      profArgs('quoter'),
    ),
    startNode(
      'gateway',
      join(BUILD_ROOT, 'apps/gateway/src/main.js'),
      { ...env, PORT: String(port) },
      () => httpOk(`http://127.0.0.1:${port}/health`),
      profArgs('gateway'),
    ),
  ]);
  for (const s of starting) if (s.status === 'fulfilled') procs.push(s.value);
  const failed = starting.find((s) => s.status === 'rejected');
  if (failed?.status === 'rejected') {
    await Promise.all(procs.map((p) => p.stop(3000)));
    throw failed.reason;
  }
  log(`  platform: gateway, engine, quoter up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const byName = (n: string) => procs.find((p) => p.name === n)!;
  const metricsUrls: Record<string, string> = {
    gateway: `http://127.0.0.1:${port}/metrics`,
    engine: `http://127.0.0.1:${enginePort}/metrics`,
    quoter: `http://127.0.0.1:${quoterPort}/metrics`,
  };
  const cred = (name: string) => {
    const c = creds.get(name);
    if (!c) throw new Error(`no API key for ${name}`);
    return c;
  };
  return {
    name: 'platform',
    baseUrl: `http://127.0.0.1:${port}`,
    takers: TAKERS.map(cred),
    makers: EXTERNAL_MAKERS.map(cred),
    idle: cred(IDLE_ACCOUNT),
    instruments,
    database,
    procs: () => procs,
    socketProcess: () => byName('gateway'),
    async resetLoop() {
      await Promise.all(Object.values(metricsUrls).map((u) => fetchText(u).catch(() => '')));
    },
    async readLoop() {
      const out: Record<string, LoopDelay> = {};
      await Promise.all(
        Object.entries(metricsUrls).map(async ([name, u]) => {
          out[name] = parseLoop(await fetchText(u).catch(() => ''));
        }),
      );
      return out;
    },
    async stop() {
      // The gateway first, so that nothing new comes in while the engine drains.
      await byName('gateway').stop();
      await Promise.all([byName('engine').stop(), byName('quoter').stop()]);
      await dropDatabase(database).catch(() => undefined);
      await clearRedis(prefix).catch(() => undefined);
    },
    profiles(fromMs) {
      if (!plan.profile) return {};
      const out: Record<string, Array<{ fn: string; selfMs: number; percent: number }>> = {};
      for (const name of ['gateway', 'engine', 'quoter']) {
        const file = join(plan.profileDir, `${name}.cpuprofile`);
        try {
          out[name] = topFunctions(file, Math.max(0, (fromMs - byName(name).spawnedAt) * 1000));
        } catch (error) {
          out[name] = [{ fn: `no profile (${String(error)})`, selfMs: 0, percent: 0 }];
        }
      }
      return out;
    },
  };
}

async function startFloor(instruments: InstrumentSpec[], log: Log): Promise<System> {
  const database = `rfq_bench_floor_${process.pid}`;
  await createDatabase(database);
  const key = () => ({
    keyId: `ak_${randomBytes(9).toString('base64url')}`,
    secret: randomBytes(32).toString('base64url'),
  });
  const makers = [...BUILT_IN_MAKERS, ...EXTERNAL_MAKERS];
  const seed: FloorSeed = {
    feeAccount: 'platform-fees',
    accounts: [
      ...TAKERS.map((name) => ({
        name,
        role: 'TAKER' as const,
        takerFeeBps: '3',
        makerFeeBps: '0',
        key: key(),
      })),
      { name: IDLE_ACCOUNT, role: 'TAKER' as const, takerFeeBps: '3', makerFeeBps: '0', key: key() },
      ...makers.map((name) => ({
        name,
        role: 'MAKER' as const,
        takerFeeBps: '0',
        makerFeeBps: '1',
        key: key(),
      })),
      { name: 'platform-fees', role: 'SYSTEM' as const, takerFeeBps: '0', makerFeeBps: '0', key: null },
    ],
    instruments: instruments.map((i) => ({
      name: i.name,
      kind: i.kind,
      underlying: i.underlying,
      tickSize: i.tickSize,
      lotSize: i.lotSize,
      multiplier: i.multiplier,
    })),
  };
  const seedFile = join(tmpdir(), `${database}-seed.json`);
  writeFileSync(seedFile, JSON.stringify(seed), { mode: 0o600 });
  const port = await freePort();
  const t = performance.now();
  let floor: Started;
  try {
    floor = await startNode(
      'floor',
      join(BUILD_ROOT, 'bench/floor.js'),
      { DATABASE_URL: databaseUrl(database), FLOOR_PORT: String(port), FLOOR_SEED: seedFile },
      () => httpOk(`http://127.0.0.1:${port}/health`),
    );
  } finally {
    setTimeout(() => rmSync(seedFile, { force: true }), 10_000).unref();
  }
  log(`  floor: schema, seed and server up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const cred = (name: string): Cred => {
    const k = seed.accounts.find((a) => a.name === name)!.key!;
    return { account: name, ...k };
  };
  const stats = async () =>
    (await (await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(5000) })).json()) as {
      loop: LoopDelay;
    };
  return {
    name: 'floor',
    baseUrl: `http://127.0.0.1:${port}`,
    takers: TAKERS.map(cred),
    makers: makers.map(cred),
    idle: cred(IDLE_ACCOUNT),
    instruments,
    database,
    procs: () => [floor],
    socketProcess: () => floor,
    async resetLoop() {
      await stats().catch(() => undefined);
    },
    async readLoop() {
      return { floor: (await stats().catch(() => null))?.loop ?? { p50: NaN, p99: NaN, max: NaN } };
    },
    async stop() {
      rmSync(seedFile, { force: true });
      await floor.stop();
      await dropDatabase(database).catch(() => undefined);
    },
    profiles: () => ({}),
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface CpuSnapshot {
  at: number;
  byProcess: Record<string, number>;
  /** CPU ms of each PostgreSQL backend of the system's database, and when each started (epoch ms). */
  pg: Map<number, { ms: number; started: number }>;
  wall: number;
}

class CpuMeter {
  private pgPids = new Map<number, number>();

  constructor(
    private readonly system: System,
    private readonly load: LoadClient,
    private readonly redis: number | null,
  ) {}

  /** Backends of the system's database: the only PostgreSQL processes whose work is its own. */
  async refreshPostgres(): Promise<void> {
    const { rows } = await (
      await admin()
    ).query<{ pid: number; started: Date }>(
      'SELECT pid, backend_start AS started FROM pg_stat_activity WHERE datname = $1',
      [this.system.database],
    );
    this.pgPids = new Map(rows.map((r) => [r.pid, r.started.getTime()]));
  }

  /** Reads /proc now, with the backend list as last refreshed. */
  snapshot(): CpuSnapshot {
    const byProcess: Record<string, number> = {};
    for (const p of this.system.procs()) byProcess[p.name] = cpuMs(p.pid) ?? NaN;
    const pg = new Map<number, { ms: number; started: number }>();
    for (const [pid, started] of this.pgPids) {
      const ms = cpuMs(pid);
      if (ms !== null) pg.set(pid, { ms, started });
    }
    if (this.system.name === 'platform' && this.redis) byProcess.redis = cpuMs(this.redis) ?? NaN;
    byProcess.load = cpuMs(this.load.proc.pid) ?? NaN;
    return { at: performance.now(), byProcess, pg, wall: Date.now() };
  }

  /** Refreshes the backend list first: pools open and close connections during a run. */
  async freshSnapshot(): Promise<CpuSnapshot> {
    await this.refreshPostgres();
    return this.snapshot();
  }

  static delta(a: CpuSnapshot, b: CpuSnapshot): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of Object.keys(b.byProcess)) out[k] = b.byProcess[k]! - (a.byProcess[k] ?? NaN);
    // A backend that ended in between is lost (its last figures are gone with it); one that began
    // in between counts whole.
    let pg = 0;
    for (const [pid, x] of b.pg) {
      const before = a.pg.get(pid);
      if (before) pg += x.ms - before.ms;
      else if (x.started >= a.wall - 50) pg += x.ms;
    }
    out.postgres = pg;
    return out;
  }

  /** Percent of one core used by each process over `ms`. */
  async busyByProcess(ms: number): Promise<Record<string, number>> {
    const a = this.snapshot();
    await sleep(ms);
    const b = this.snapshot();
    const d = CpuMeter.delta(a, b);
    return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, (100 * v) / (b.at - a.at)]));
  }

  /** Percent of one core used by the system (its processes and its PostgreSQL backends). */
  async busyPercent(ms: number): Promise<number> {
    return systemTotal(await this.busyByProcess(ms));
  }
}

/** Sum over the system's own processes: the load process and the shared Redis are not the system. */
export function systemTotal(byProcess: Record<string, number>): number {
  return Object.entries(byProcess)
    .filter(([k]) => k !== 'load' && k !== 'redis')
    .reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0);
}

/**
 * Waits, at most `maxMs`, until the system is near its idle CPU: a backlog left by one run must not
 * slow the next. Open RFQs of the previous run still cost something until they expire; that is the
 * steady state of the next run too, so the threshold leaves room for it.
 */
async function settle(meter: CpuMeter, idlePercent: number, maxMs: number, log?: Log): Promise<void> {
  const started = performance.now();
  const threshold = Math.max(20, idlePercent * 1.5 + 10);
  let last: Record<string, number> = {};
  while (performance.now() - started < maxMs) {
    last = await meter.busyByProcess(400);
    if (systemTotal(last) <= threshold) return;
  }
  log?.(
    `  still ${fmt(systemTotal(last))}% busy after ${fmt(maxMs / 1000)} s (` +
      Object.entries(last)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ') +
      '): going on',
  );
}

/** RSS over half a second (a GC in between moves a single reading). */
async function rssMedian(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid) ?? NaN);
    await sleep(100);
  }
  return median(samples);
}

const isSaturated = (r: PhaseResult) =>
  r.sent === 0 ||
  (r.quotesLost + r.rfqErrors) / r.sent > 0.02 ||
  r.firstQuote.p50 > 100 ||
  r.firstQuote.p99 > 1000;

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export async function measureSystem(
  which: 'platform' | 'floor',
  plan: Plan,
  instrumentsForFloor: InstrumentSpec[] | null,
  log: Log,
  redisProcess: number | null,
): Promise<{ report: SystemReport; instruments: InstrumentSpec[] }> {
  const problems: string[] = [];
  log(`${which}: starting`);
  const system =
    which === 'platform' ? await startPlatform(plan, log) : await startFloor(instrumentsForFloor ?? [], log);
  const load = new LoadClient();
  const report: SystemReport = {
    name: which,
    processes: system.procs().map((p) => p.name),
    rates: [],
    burst: null,
    memory: null,
    idleCpuPercent: NaN,
    idleCpu: {},
    profiles: {},
    problems,
  };
  // The profile's part worth reading starts after the warm-up.
  let measuredFrom = performance.now();
  try {
    await load.request(
      {
        type: 'init',
        system: which,
        baseUrl: system.baseUrl,
        takers: system.takers,
        makers: system.makers,
        idle: system.idle,
        instruments: system.instruments,
        seed: plan.seed,
      },
      'ready',
    );
    const meter = new CpuMeter(system, load, redisProcess);
    await meter.refreshPostgres();
    let nextId = 1;

    const phase = async (rate: number, warmupMs: number, measureMs: number): Promise<RunRecord> => {
      const id = nextId++;
      const marks: { start?: Promise<CpuSnapshot>; end?: Promise<CpuSnapshot> } = {};
      let loop: Promise<Record<string, LoopDelay>> = Promise.resolve({});
      let reset: Promise<void> = Promise.resolve();
      load.onMark((markId, what) => {
        if (markId !== id) return;
        if (what === 'start') {
          marks.start = meter.freshSnapshot();
          reset = system.resetLoop();
        } else {
          marks.end = meter.freshSnapshot();
          loop = reset.then(() => system.readLoop());
        }
      });
      const m = await load.request(
        {
          type: 'phase',
          id,
          rate,
          warmupMs,
          measureMs,
          drainMs: plan.drainMs,
          acceptShare: plan.acceptShare,
          rfqExpirySeconds: plan.rfqExpirySeconds,
        },
        String(id),
      );
      load.onMark(null);
      if (m.type !== 'phase') throw new Error(`unexpected answer ${m.type}`);
      const cpu = marks.start && marks.end ? CpuMeter.delta(await marks.start, await marks.end) : {};
      const sent = Math.max(1, m.result.sent);
      return {
        result: m.result,
        cpuPerRfq: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / sent])),
        loop: await loop,
      };
    };

    // Idle: started, connected, nothing asked of it yet (timers, pollers, market data).
    await sleep(1000);
    await meter.refreshPostgres();
    report.idleCpu = await meter.busyByProcess(1000);
    report.idleCpuPercent = systemTotal(report.idleCpu);
    log(
      `${which}: idle CPU ${fmt(report.idleCpuPercent)}% of a core (` +
        Object.entries(report.idleCpu)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ') +
        ')',
    );

    // Memory per idle WebSocket connection, on a quiet process.
    {
      const holder = system.socketProcess();
      // Each socket is a descriptor in the load process and in the server (Node raises its soft
      // limit to the hard one at start, so the hard limit is what counts).
      const hard = openFilesHardLimit();
      const count = Math.min(plan.sockets, Math.max(100, hard - 1000));
      if (count < plan.sockets) {
        log(`${which}: open-files hard limit ${hard}: ${count} idle sockets instead of ${plan.sockets}`);
        problems.push(`memory probe: ${count} sockets instead of ${plan.sockets} (ulimit -Hn ${hard})`);
      }
      const before = await rssMedian(holder.pid);
      const m = await load.request({ type: 'sockets', id: nextId, count, concurrency: 50 }, String(nextId++));
      const result = (m as Extract<FromLoad, { type: 'sockets' }>).result;
      await sleep(plan.quick ? 500 : 1500);
      const after = await rssMedian(holder.pid);
      report.memory = {
        process: holder.name,
        connections: result.opened,
        failed: result.failed,
        rssBefore: before,
        rssAfter: after,
        bytesPerConnection: result.opened > 0 ? (after - before) / result.opened : NaN,
        openMs: result.ms,
        errorSamples: result.errorSamples,
      };
      if (result.failed > 0)
        problems.push(`idle sockets: ${result.failed} failed: ${result.errorSamples.join('; ')}`);
      log(
        `${which}: ${result.opened} idle sockets on the ${holder.name}: RSS +${fmt((after - before) / 1048576)} MiB, ` +
          `${fmt(report.memory.bytesPerConnection / 1024, 2)} KiB per connection`,
      );
      await load.request({ type: 'closeSockets', id: nextId }, String(nextId++));
      await settle(meter, report.idleCpuPercent, plan.settleMaxMs, log);
    }

    // Warm-up: JIT, pools, caches. Not recorded.
    await phase(Math.min(10, plan.rates[0] ?? 10), 0, plan.quick ? 1500 : 3000);
    await settle(meter, report.idleCpuPercent, plan.settleMaxMs, log);
    log(`${which}: warmed up`);
    measuredFrom = performance.now();

    // The rate ladder.
    const ladderStarted = performance.now();
    for (const rate of plan.rates) {
      if (
        performance.now() - ladderStarted > plan.ladderBudgetMs ||
        Date.now() > plan.mustEndBy - plan.reserveMs
      ) {
        log(`${which}: time budget of the rate ladder spent: ${rate}/s and above not measured`);
        problems.push(`time budget: rates from ${rate}/s on not measured`);
        break;
      }
      const runs: RunRecord[] = [];
      for (let i = 0; i < plan.runs; i++) {
        await settle(meter, report.idleCpuPercent, plan.settleMaxMs, log);
        await meter.refreshPostgres();
        const r = await phase(rate, plan.warmupMs, plan.measureMs);
        runs.push(r);
        const x = r.result;
        const cpuTotal = systemTotal(r.cpuPerRfq);
        log(
          `${which}: ${String(rate).padStart(4)}/s run ${i + 1}: RFQ→quote p50 ${fmt(x.firstQuote.p50)} p99 ${fmt(x.firstQuote.p99)} ` +
            `max ${fmt(x.firstQuote.max)} ms | accept→fill p50 ${fmt(x.fill.p50)} p99 ${fmt(x.fill.p99)} ms (n=${x.fill.count}) | ` +
            `sent ${x.sent} lost ${x.quotesLost + x.rfqErrors} quotes/RFQ ${fmt(x.quotesPerRfq)} | CPU ${fmt(cpuTotal, 2)} ms/RFQ` +
            (x.errorSamples.length > 0 ? ` | ${x.errorSamples[0]}` : ''),
        );
        if (x.acceptErrors > 0 || x.rfqErrors > 0)
          problems.push(
            `${rate}/s: ${x.rfqErrors} RFQ errors, ${x.acceptErrors} accept errors: ${x.errorSamples.join('; ')}`,
          );
        // Once most runs are clearly saturated the others would only say so again; one saturated
        // run among good ones is a stall (a disk flush, a neighbour), not the rate.
        if (runs.filter((r) => isSaturated(r.result)).length * 2 > plan.runs) break;
      }
      report.rates.push({ rate, runs });
      const mid = median(runs.map((r) => r.result.firstQuote.p99));
      if (runs.filter((r) => isSaturated(r.result)).length * 2 > runs.length) {
        log(`${which}: saturated at ${rate}/s (median p99 ${fmt(mid)} ms): not going higher`);
        break;
      }
    }

    // Fills booked per second: many accepts in flight at once.
    await settle(meter, report.idleCpuPercent, plan.settleMaxMs, log);
    {
      const id = nextId++;
      const preparing = performance.now();
      const prepared = await load.request(
        {
          type: 'burstPrepare',
          id,
          count: plan.burstCount,
          concurrency: 16,
          rfqExpirySeconds: 600,
          maxMs: plan.quick ? 8_000 : 30_000,
        },
        String(id),
      );
      const count = prepared.type === 'prepared' ? prepared.count : 0;
      log(
        `${which}: burst: ${count} RFQs with a quote to accept prepared in ${fmt((performance.now() - preparing) / 1000)} s`,
      );
      await settle(meter, report.idleCpuPercent, plan.settleMaxMs * 2, log);
      await meter.refreshPostgres();
      const fireId = nextId++;
      const marks: { start?: Promise<CpuSnapshot>; end?: Promise<CpuSnapshot> } = {};
      load.onMark((markId, what) => {
        if (markId !== fireId) return;
        marks[what] = meter.freshSnapshot();
      });
      const m = await load.request(
        { type: 'burstFire', id: fireId, concurrency: plan.burstConcurrency },
        String(fireId),
      );
      load.onMark(null);
      const result = (m as Extract<FromLoad, { type: 'burst' }>).result;
      const cpu = marks.start && marks.end ? CpuMeter.delta(await marks.start, await marks.end) : {};
      report.burst = {
        ...result,
        cpuPerFill: Object.fromEntries(
          Object.entries(cpu).map(([k, v]) => [k, v / Math.max(1, result.fills)]),
        ),
      };
      log(
        `${which}: burst: ${result.fills} fills of ${count} accepts (${plan.burstConcurrency} in flight) in ${fmt(result.elapsedMs, 0)} ms ` +
          `= ${fmt(result.fillsPerSecond, 0)} fills/s; accept→fill p50 ${fmt(result.fill.p50)} p99 ${fmt(result.fill.p99)} ms` +
          (result.errorSamples.length > 0 ? ` | ${result.errorSamples[0]}` : ''),
      );
      if (result.acceptErrors > 0)
        problems.push(`burst: ${result.acceptErrors} accept errors: ${result.errorSamples.join('; ')}`);
    }
  } catch (error) {
    problems.push(`aborted: ${error instanceof Error ? error.message : String(error)}`);
    log(`${which}: aborted: ${error instanceof Error ? error.message : String(error)}`);
    for (const p of system.procs()) {
      const tail = p.output().trim().split('\n').slice(-5).join('\n');
      if (tail) log(`  ${p.name} output (last lines):\n${tail}`);
    }
  } finally {
    await load.stop().catch(() => undefined);
    // LOG_LEVEL is warn: what they printed is worth a look (and costs them CPU).
    for (const p of system.procs()) {
      if (p.outputBytes() === 0) continue;
      const last = p.output().trim().split('\n').slice(-1)[0] ?? '';
      problems.push(
        `${p.name} printed ${p.outputBytes()} bytes of warnings/errors; the last: ${last.slice(0, 400)}`,
      );
    }
    // Processes that died on the way show it in their output.
    for (const p of system.procs())
      if (p.child.exitCode !== null && p.child.exitCode !== 0)
        problems.push(`${p.name} exited with ${p.child.exitCode}: ${p.output().slice(-1500)}`);
    await system.stop();
    report.profiles = system.profiles(measuredFrom);
  }
  return { report, instruments: system.instruments };
}

// ---------------------------------------------------------------------------------------------
// The machine, the versions and the disk.

export function openFilesHardLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || Infinity;
  } catch {
    return Infinity;
  }
}

export interface Environment {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  loadAverage: number[];
  kernel: string;
  node: string;
  postgres: string;
  redis: string;
  packages: Record<string, string>;
  fdatasync: { opsPerSecond: number; usPerOp: number } | null;
  ulimitNofile: string;
  startedAt: string;
}

export function packageVersions(): Record<string, string> {
  const names = [
    '@nestjs/core',
    '@nestjs/platform-fastify',
    '@nestjs/platform-ws',
    'fastify',
    'ws',
    'pg',
    '@prisma/client',
    'bullmq',
    'ioredis',
    'hdr-histogram-js',
  ];
  const out: Record<string, string> = {};
  for (const n of names) {
    try {
      out[n] = (
        JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', n, 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version;
    } catch {
      out[n] = 'not installed';
    }
  }
  return out;
}

/** fdatasync of one 8 kB write, from pg_test_fsync; stopped as soon as that line is printed. */
export async function fdatasync(seconds: number): Promise<{ opsPerSecond: number; usPerOp: number } | null> {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse()
    : [];
  const binary = versions.map((v) => `/usr/lib/postgresql/${v}/bin/pg_test_fsync`).find((p) => existsSync(p));
  if (!binary) return null;
  const dir = join(tmpdir(), `rfq-bench-fsync-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    return await new Promise((resolve) => {
      const child = spawn(binary, ['-s', String(seconds), '-f', join(dir, 'test.out')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const started = track('pg_test_fsync', child);
      let out = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), (seconds * 4 + 10) * 1000);
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /^\s*fdatasync\s+([\d.]+) ops\/sec\s+(\d+) usecs\/op/m.exec(out);
        if (m) {
          clearTimeout(timer);
          child.kill('SIGTERM');
          resolve({ opsPerSecond: Number(m[1]), usPerOp: Number(m[2]) });
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        void started;
        resolve(null);
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
