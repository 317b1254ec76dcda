// npm run bench [-- --quick] [-- --out DIR] [-- --profile]: the platform measured against its
// physical floor (issue 9). Starts the platform as deployed and then the floor, drives each from a
// separate load process, prints progress and the final table, and writes benchmarks.md and the
// latency chart (to docs/ unless --out names another directory).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderSvg, writePng } from './chart.js';
import type { InstrumentSpec } from './common.js';
import {
  admin,
  cleanupAll,
  dropStale,
  type Environment,
  fdatasync,
  measureSystem,
  packageVersions,
  type Plan,
  redisPid,
  REPO_ROOT,
  setLogDir,
  type SystemReport,
} from './orchestrator.js';
import { type BenchResult, consoleReport, markdownReport } from './report.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    systems: { type: 'string', default: 'platform,floor' },
    rates: { type: 'string' },
    runs: { type: 'string' },
    // Re-renders the report and the chart from a benchmarks.json of an earlier run (no measuring).
    'report-from': { type: 'string' },
    // Keeps every process's whole output (the platform's logs at warn level) in this directory.
    logs: { type: 'string' },
  },
});

const startedAt = performance.now();
const t0 = Date.now();
const log = (line: string) => {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  process.stdout.write(`[${s}s] ${line}\n`);
};

const quick = values.quick ?? false;
// The .cpuprofile files stay there for a closer look (Chrome DevTools, speedscope).
const profileDir = values.profile ? mkdtempSync(join(os.tmpdir(), 'rfq-bench-prof-')) : '';
const plan: Plan = {
  quick,
  rates: values.rates
    ? values.rates.split(',').map(Number)
    : quick
      ? [10, 100]
      : [10, 25, 50, 100, 200, 300, 400, 600, 800],
  runs: values.runs ? Number(values.runs) : quick ? 1 : 3,
  warmupMs: quick ? 1000 : 2000,
  measureMs: quick ? 3000 : 6000,
  drainMs: quick ? 2000 : 3000,
  acceptShare: 0.3,
  rfqExpirySeconds: 10,
  burstCount: quick ? 200 : 1500,
  burstConcurrency: 64,
  sockets: quick ? 500 : 5000,
  settleMaxMs: quick ? 3000 : 6000,
  // Together with setup, warm-up, memory probe and burst: under 2 minutes quick, 15 minutes full.
  ladderBudgetMs: quick ? 30_000 : 270_000,
  mustEndBy: Date.now() + (quick ? 110_000 : 14 * 60_000),
  reserveMs: quick ? 20_000 : 75_000,
  profile: values.profile ?? false,
  profileDir,
  seed: 20_261_126,
};
const systems = (values.systems ?? '').split(',');
setLogDir(values.logs ? resolve(values.logs) : null);
const outDir = resolve(values.out ?? join(REPO_ROOT, 'docs'));

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping children, dropping the bench databases`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

/** The seed's instruments, for a floor-only run (normally the platform's own list is used). */
function seedLikeInstruments(now: Date): InstrumentSpec[] {
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const out: InstrumentSpec[] = [];
  const specs = [
    { u: 'BTC', spot: 100_000, step: 5_000, oTick: '5', oLot: '0.01', fTick: '0.5', fLot: '0.001' },
    { u: 'ETH', spot: 3_500, step: 250, oTick: '0.5', oLot: '0.1', fTick: '0.05', fLot: '0.01' },
  ];
  for (const s of specs) {
    const base = { id: '', underlying: s.u, multiplier: '1', strike: null, optionType: null } as const;
    out.push({
      ...base,
      name: `${s.u}-PERPETUAL`,
      kind: 'PERPETUAL',
      expiry: null,
      tickSize: s.fTick,
      lotSize: s.fLot,
    });
    for (const days of [7, 28, 91, 182]) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days, 8));
      while (d.getUTCDay() !== 5) d.setUTCDate(d.getUTCDate() + 1);
      const code = `${d.getUTCDate()}${months[d.getUTCMonth()]}${String(d.getUTCFullYear()).slice(2)}`;
      out.push({
        ...base,
        name: `${s.u}-${code}`,
        kind: 'FUTURE',
        expiry: d.toISOString(),
        tickSize: s.fTick,
        lotSize: s.fLot,
      });
      for (let i = -4; i <= 4; i++) {
        const strike = s.spot + i * s.step;
        for (const type of ['CALL', 'PUT'] as const)
          out.push({
            ...base,
            name: `${s.u}-${code}-${strike}-${type[0]}`,
            kind: 'OPTION',
            expiry: d.toISOString(),
            strike: String(strike),
            optionType: type,
            tickSize: s.oTick,
            lotSize: s.oLot,
          });
      }
    }
  }
  return out;
}

async function environment(): Promise<Environment> {
  const loadAverage = os.loadavg();
  const cpus = os.cpus();
  let ulimit = 'unknown';
  try {
    ulimit =
      execFileSync('sh', ['-c', 'ulimit -n; ulimit -Hn'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .join(' (hard ') + ')';
  } catch {
    /* not fatal: reported as unknown */
  }
  const pgVersion =
    (await (await admin()).query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]
      ?.v ?? 'unknown';
  const redis = await redisPid().catch(() => ({ pid: null, version: 'unreachable' }));
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    loadAverage,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: pgVersion,
    redis: redis.version,
    packages: packageVersions(),
    fdatasync: null,
    ulimitNofile: ulimit,
    startedAt: new Date().toISOString(),
  };
}

async function writeReports(result: BenchResult): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const png = join(outDir, 'benchmarks-latency.png');
  try {
    const why = await writePng(renderSvg(result), png);
    if (why) log(`chart: skipped: ${why}`);
    else result.chart = 'benchmarks-latency.png';
  } catch (error) {
    log(`chart: skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
  writeFileSync(join(outDir, 'benchmarks.md'), markdownReport(result, result.chart));
  // Machine-readable figures for the smoke test and for comparisons, but not in docs/.
  if (values.out) writeFileSync(join(outDir, 'benchmarks.json'), JSON.stringify(result, null, 2));
  process.stdout.write(`\n${consoleReport(result)}\n`);
  log(`wrote ${join(outDir, 'benchmarks.md')}${result.chart ? ` and ${png}` : ''}`);
}

async function main(): Promise<number> {
  if (values['report-from']) {
    const result = JSON.parse(readFileSync(values['report-from'], 'utf8')) as BenchResult;
    result.chart = null;
    await writeReports(result);
    return 0;
  }
  log(
    `rfq benchmark (${quick ? 'quick' : 'full'}): rates ${plan.rates.join(', ')}/s × ${plan.runs} run(s), ` +
      `${plan.sockets} idle sockets, burst of ${plan.burstCount}; reports to ${outDir}`,
  );
  await dropStale(log);
  const env = await environment();
  log(
    `machine: ${env.cpuModel}, ${env.cores} cores, ${env.memoryGiB.toFixed(1)} GiB, load ${env.loadAverage
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}; node ${env.node}, PostgreSQL ${env.postgres}, Redis ${env.redis}; open files ${env.ulimitNofile}`,
  );
  env.fdatasync = await fdatasync(quick ? 1 : 2).catch(() => null);
  log(
    env.fdatasync
      ? `disk: fdatasync ${env.fdatasync.opsPerSecond.toFixed(0)} ops/s = ${env.fdatasync.usPerOp} µs per flush`
      : 'disk: pg_test_fsync not available',
  );
  const redisProcess = (await redisPid().catch(() => ({ pid: null }))).pid;

  let platform: SystemReport | null = null;
  let floor: SystemReport | null = null;
  let instruments: InstrumentSpec[] | null = null;
  if (systems.includes('platform') && !interrupted) {
    try {
      const r = await measureSystem('platform', plan, null, log, redisProcess);
      platform = r.report;
      instruments = r.instruments;
    } catch (error) {
      log(`platform: could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (systems.includes('floor') && !interrupted) {
    try {
      floor = (await measureSystem('floor', plan, instruments ?? seedLikeInstruments(new Date()), log, null))
        .report;
    } catch (error) {
      log(`floor: could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const result: BenchResult = {
    env,
    plan,
    platform,
    floor,
    durationMs: performance.now() - startedAt,
    chart: null,
  };
  await writeReports(result);
  if (plan.profile) log(`CPU profiles in ${profileDir}`);
  log(`done in ${(result.durationMs / 1000).toFixed(0)} s`);
  const ok = (r: SystemReport | null) =>
    !!r && r.rates.length > 0 && !r.problems.some((p) => p.startsWith('aborted'));
  return ok(platform) || !systems.includes('platform')
    ? ok(floor) || !systems.includes('floor')
      ? 0
      : 1
    : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanupAll();
}
process.exit(code);
