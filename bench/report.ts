// Turns the measurements into the printed table and docs/benchmarks.md: median and best run per
// rate, every platform figure next to the floor's and as a ratio to it, and the issue's targets.
import type { LatencySummary } from './common.js';
import type { Environment, Plan, RateRecord, RunRecord, SystemReport } from './orchestrator.js';

export interface BenchResult {
  env: Environment;
  plan: Plan;
  platform: SystemReport | null;
  floor: SystemReport | null;
  durationMs: number;
  chart: string | null;
}

/** p99 to first quote under this is "sustained". */
export const P99_TARGET_MS = 50;

const n = (x: number | undefined, digits = 1) =>
  x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '-';
const ratio = (a: number | undefined, b: number | undefined, digits = 2) =>
  a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0
    ? `${(a / b).toFixed(digits)}×`
    : '-';

/** Runs sorted by p99 to first quote: the middle one is the median run, the first the best. */
export function pickRuns(rate: RateRecord): { median: RunRecord; best: RunRecord } {
  const sorted = [...rate.runs].sort((a, b) => a.result.firstQuote.p99 - b.result.firstQuote.p99);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)]!, best: sorted[0]! };
}

const lostShare = (r: RunRecord) => (r.result.quotesLost + r.result.rfqErrors) / Math.max(1, r.result.sent);

/** Highest rate whose median run kept p99 to first quote under 50 ms and lost at most 1 %. */
export function sustainedRate(
  report: SystemReport | null,
  which: 'median' | 'best' = 'median',
): number | null {
  if (!report) return null;
  let best: number | null = null;
  for (const rate of report.rates) {
    const run = pickRuns(rate)[which];
    if (run.result.firstQuote.p99 < P99_TARGET_MS && lostShare(run) <= 0.01)
      best = Math.max(best ?? 0, rate.rate);
  }
  return best;
}

function runAt(report: SystemReport | null, rate: number): RunRecord | undefined {
  const r = report?.rates.find((x) => x.rate === rate);
  return r ? pickRuns(r).median : undefined;
}

/** The rate the summary compares at: 200/s when both systems ran it, else the highest both ran. */
export function referenceRate(result: BenchResult): number | null {
  const common = (result.platform?.rates ?? [])
    .map((r) => r.rate)
    .filter((rate) => result.floor?.rates.some((f) => f.rate === rate));
  if (common.includes(200)) return 200;
  return common.length > 0 ? Math.max(...common) : null;
}

const cpuTotal = (r: RunRecord | undefined) =>
  r
    ? Object.entries(r.cpuPerRfq)
        .filter(([k]) => k !== 'load' && k !== 'redis')
        .reduce((s, [, v]) => s + (Number.isFinite(v) ? v : 0), 0)
    : NaN;

function table(head: string[], rows: string[][]): string {
  // Numbers right-aligned; a column whose first cell is text left-aligned.
  const numeric = head.map((_, i) => i > 0 && /^[-\d.]/.test(rows[0]?.[i] ?? '0'));
  const lines = [`| ${head.join(' | ')} |`, `| ${numeric.map((r) => (r ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

interface Target {
  target: string;
  measured: string;
  met: boolean | null;
  margin: string;
}

function by(x: number, limit: number, lowerIsBetter: boolean): string {
  if (!Number.isFinite(x) || !Number.isFinite(limit) || limit <= 0) return '-';
  const met = lowerIsBetter ? x <= limit : x >= limit;
  if (met)
    return lowerIsBetter ? `${n((1 - x / limit) * 100, 0)} % under` : `${n((x / limit - 1) * 100, 0)} % over`;
  return lowerIsBetter ? `missed by ${n(x / limit, 2)}×` : `missed: ${n((x / limit) * 100, 0)} % of it`;
}

export function targets(result: BenchResult): Target[] {
  const ref = referenceRate(result);
  const out: Target[] = [];
  const p = ref === null ? undefined : runAt(result.platform, ref);
  const f = ref === null ? undefined : runAt(result.floor, ref);
  for (const [label, key] of [
    ['RFQ → first quote', 'firstQuote'],
    ['accept → fill confirmation', 'fill'],
  ] as const) {
    const pv = p?.result[key].p50 ?? NaN;
    const fv = f?.result[key].p50 ?? NaN;
    const r = pv / fv;
    out.push({
      target: `${label} p50 within 2× of the floor's (at ${ref ?? '-'}/s)`,
      measured: `${n(pv)} ms vs ${n(fv)} ms = ${n(r, 2)}×`,
      met: Number.isFinite(r) ? r <= 2 : null,
      margin: by(r, 2, true),
    });
  }
  const at200 = runAt(result.platform, 200);
  for (const [label, key] of [
    ['RFQ → first quote', 'firstQuote'],
    ['accept → fill confirmation', 'fill'],
  ] as const) {
    const v = at200?.result[key].p99 ?? NaN;
    out.push({
      target: `${label} p99 < 50 ms at 200 RFQs/s, 10 makers`,
      measured: at200 ? `${n(v)} ms` : 'not reached (saturated below 200/s)',
      met: at200 ? v < P99_TARGET_MS && lostShare(at200) <= 0.01 : false,
      margin: at200 ? by(v, P99_TARGET_MS, true) : 'missed',
    });
  }
  const ps = sustainedRate(result.platform);
  const fs = sustainedRate(result.floor, 'best');
  out.push({
    target: "highest sustained rate (p99 to first quote < 50 ms) ≥ 70 % of the floor's best",
    measured: `${ps ?? 0}/s vs ${fs ?? 0}/s = ${fs ? n(((ps ?? 0) / fs) * 100, 0) : '-'} %`,
    met: fs ? (ps ?? 0) / fs >= 0.7 : null,
    margin: fs ? by((ps ?? 0) / fs, 0.7, false) : '-',
  });
  const fills = result.platform?.burst?.fillsPerSecond ?? NaN;
  out.push({
    target: '≥ 1,000 fills booked per second',
    measured: `${n(fills, 0)} fills/s`,
    met: Number.isFinite(fills) ? fills >= 1000 : null,
    margin: by(fills, 1000, false),
  });
  const mem = (result.platform?.memory?.bytesPerConnection ?? NaN) / 1024;
  out.push({
    target: '≤ 20 KiB per idle WebSocket connection',
    measured: `${n(mem, 2)} KiB (${result.platform?.memory?.connections ?? 0} connections)`,
    met: Number.isFinite(mem) ? mem <= 20 : null,
    margin: by(mem, 20, true),
  });
  return out;
}

function summary(result: BenchResult): string {
  const ref = referenceRate(result);
  const p = ref === null ? undefined : runAt(result.platform, ref);
  const f = ref === null ? undefined : runAt(result.floor, ref);
  const rows: string[][] = [];
  const lat = (label: string, key: 'firstQuote' | 'fill', pct: keyof LatencySummary) => {
    const a = p?.result[key][pct];
    const b = f?.result[key][pct];
    const name = pct === 'p999' ? 'p99.9' : pct;
    rows.push([`${label} ${name} (ms, ${ref ?? '-'}/s)`, n(a), n(b), ratio(a, b)]);
  };
  for (const pct of ['p50', 'p99', 'p999', 'max'] as const) lat('RFQ → first quote', 'firstQuote', pct);
  for (const pct of ['p50', 'p99', 'p999', 'max'] as const) lat('accept → fill', 'fill', pct);
  const ps = sustainedRate(result.platform);
  const fs = sustainedRate(result.floor);
  rows.push([
    'highest sustained rate, median run (RFQs/s, p99 < 50 ms)',
    String(ps ?? 0),
    String(fs ?? 0),
    ratio(ps ?? 0, fs ?? NaN),
  ]);
  const psb = sustainedRate(result.platform, 'best');
  const fsb = sustainedRate(result.floor, 'best');
  rows.push([
    'highest sustained rate, best run (RFQs/s)',
    String(psb ?? 0),
    String(fsb ?? 0),
    ratio(psb ?? 0, fsb ?? NaN),
  ]);
  const pb = result.platform?.burst?.fillsPerSecond;
  const fb = result.floor?.burst?.fillsPerSecond;
  rows.push(['fills booked per second (burst)', n(pb, 0), n(fb, 0), ratio(pb, fb)]);
  const pc = cpuTotal(p);
  const fc = cpuTotal(f);
  rows.push([
    `CPU per RFQ, all processes + postgres (ms, ${ref ?? '-'}/s)`,
    n(pc, 2),
    n(fc, 2),
    ratio(pc, fc),
  ]);
  const pi = result.platform?.idleCpuPercent;
  const fi = result.floor?.idleCpuPercent;
  rows.push(['CPU when idle, before any load (% of one core)', n(pi), n(fi), ratio(pi, fi)]);
  const pl = p ? Math.max(...Object.values(p.loop).map((l) => l.p99)) : NaN;
  const fl = f ? Math.max(...Object.values(f.loop).map((l) => l.p99)) : NaN;
  rows.push([`event-loop delay p99, worst process (ms, ${ref ?? '-'}/s)`, n(pl), n(fl), ratio(pl, fl)]);
  const pm = (result.platform?.memory?.bytesPerConnection ?? NaN) / 1024;
  const fm = (result.floor?.memory?.bytesPerConnection ?? NaN) / 1024;
  rows.push(['memory per idle WebSocket connection (KiB)', n(pm, 2), n(fm, 2), ratio(pm, fm)]);
  return table(['figure', 'platform', 'floor', 'platform ÷ floor'], rows);
}

function latencyTable(result: BenchResult): string {
  const rates = [
    ...new Set([...(result.platform?.rates ?? []), ...(result.floor?.rates ?? [])].map((r) => r.rate)),
  ].sort((a, b) => a - b);
  const rows: string[][] = [];
  for (const rate of rates) {
    for (const system of [result.platform, result.floor]) {
      const rec = system?.rates.find((r) => r.rate === rate);
      if (!system || !rec) continue;
      const picks = pickRuns(rec);
      const kinds: Array<['median' | 'best' | 'single', RunRecord]> =
        rec.runs.length > 1
          ? [
              ['median', picks.median],
              ['best', picks.best],
            ]
          : [['single', picks.median]];
      for (const [kind, run] of kinds) {
        const x = run.result;
        const other = system.name === 'platform' ? result.floor : null;
        const o = other ? runAt(other, rate) : undefined;
        rows.push([
          `${rate}`,
          system.name,
          kind === 'single' ? '1 run' : `${kind} of ${rec.runs.length}`,
          n(x.firstQuote.p50),
          n(x.firstQuote.p99),
          n(x.firstQuote.p999),
          n(x.firstQuote.max),
          n(x.fill.p50),
          n(x.fill.p99),
          n(x.fill.p999),
          n(x.fill.max),
          `${x.sent} / ${x.fill.count}`,
          String(x.quotesLost + x.rfqErrors),
          n(x.quotesPerRfq),
          o && kind !== 'best'
            ? `${ratio(x.firstQuote.p50, o.result.firstQuote.p50)} / ${ratio(x.fill.p50, o.result.fill.p50)}`
            : '',
        ]);
      }
    }
  }
  return table(
    [
      'RFQs/s',
      'system',
      'run',
      'quote p50',
      'p99',
      'p99.9',
      'max',
      'fill p50',
      'p99',
      'p99.9',
      'max',
      'RFQs / fills',
      'lost',
      'quotes/RFQ',
      'p50 ÷ floor (quote / fill)',
    ],
    rows,
  );
}

function cpuTable(result: BenchResult): string {
  const procs = ['gateway', 'engine', 'quoter', 'postgres', 'redis'];
  const rates = (result.platform?.rates ?? []).map((r) => r.rate);
  for (const r of result.floor?.rates ?? []) if (!rates.includes(r.rate)) rates.push(r.rate);
  rates.sort((a, b) => a - b);
  const rows = rates.map((rate) => {
    const p = runAt(result.platform, rate);
    const f = runAt(result.floor, rate);
    return [
      String(rate),
      ...procs.map((k) => n(p?.cpuPerRfq[k], 3)),
      n(cpuTotal(p), 3),
      n(f?.cpuPerRfq.floor, 3),
      n(f?.cpuPerRfq.postgres, 3),
      n(cpuTotal(f), 3),
      ratio(cpuTotal(p), cpuTotal(f)),
      `${n(p?.cpuPerRfq.load, 3)} / ${n(f?.cpuPerRfq.load, 3)}`,
    ];
  });
  return table(
    [
      'RFQs/s',
      'gateway',
      'engine',
      'quoter',
      'postgres',
      'redis',
      'platform total',
      'floor',
      'postgres (floor)',
      'floor total',
      'ratio',
      'load process (p / f)',
    ],
    rows,
  );
}

function loopTable(result: BenchResult): string {
  const procs = ['gateway', 'engine', 'quoter'];
  const rates = [
    ...new Set([...(result.platform?.rates ?? []), ...(result.floor?.rates ?? [])].map((r) => r.rate)),
  ].sort((a, b) => a - b);
  const cell = (l: { p99: number; max: number } | undefined) => (l ? `${n(l.p99)} / ${n(l.max)}` : '-');
  const rows = rates.map((rate) => {
    const p = runAt(result.platform, rate);
    const f = runAt(result.floor, rate);
    return [
      String(rate),
      ...procs.map((k) => cell(p?.loop[k])),
      cell(f?.loop.floor),
      `${n(p?.result.loadLoop.p99)} / ${n(f?.result.loadLoop.p99)}`,
    ];
  });
  return table(['RFQs/s', 'gateway', 'engine', 'quoter', 'floor', 'load process p99 (p / f)'], rows);
}

function burstTable(result: BenchResult): string {
  const rows: string[][] = [];
  for (const s of [result.platform, result.floor]) {
    const b = s?.burst;
    if (!s || !b) continue;
    const cpu = Object.entries(b.cpuPerFill)
      .filter(([k]) => k !== 'load')
      .map(([k, v]) => `${k} ${n(v, 2)}`)
      .join(', ');
    rows.push([
      s.name,
      `${b.fills} / ${b.prepared}`,
      n(b.elapsedMs, 0),
      n(b.fillsPerSecond, 0),
      n(b.fill.p50),
      n(b.fill.p99),
      n(b.fill.max),
      String(b.acceptErrors),
      cpu,
    ]);
  }
  return table(
    [
      'system',
      'fills / accepts',
      'ms',
      'fills/s',
      'accept→fill p50',
      'p99',
      'max',
      'errors',
      'CPU ms per fill',
    ],
    rows,
  );
}

function memoryTable(result: BenchResult): string {
  const rows: string[][] = [];
  for (const s of [result.platform, result.floor]) {
    const m = s?.memory;
    if (!s || !m) continue;
    rows.push([
      s.name,
      m.process,
      String(m.connections),
      n(m.rssBefore / 1048576),
      n(m.rssAfter / 1048576),
      n(m.bytesPerConnection / 1024, 2),
      n(m.openMs / 1000, 1),
    ]);
  }
  return table(
    [
      'system',
      'process',
      'connections',
      'RSS before (MiB)',
      'after (MiB)',
      'KiB per connection',
      'open time (s)',
    ],
    rows,
  );
}

function profileSection(result: BenchResult): string {
  const profiles = result.platform?.profiles ?? {};
  if (Object.keys(profiles).length === 0) return '';
  const parts = [
    '## CPU profile (--profile): top 15 self-time functions per process\n',
    'From `--cpu-prof`, after the warm-up (rate ladder and burst); percent of the non-idle samples.\n',
  ];
  for (const [name, rows] of Object.entries(profiles)) {
    parts.push(`### ${name}\n`);
    parts.push(
      table(
        ['function', 'self ms', '%'],
        rows.map((r) => [r.fn.replace(/\|/g, '\\|'), n(r.selfMs, 0), n(r.percent, 1)]),
      ),
    );
    parts.push('');
  }
  return parts.join('\n');
}

/** The tables printed at the end of a run (plain markdown reads well in a terminal too). */
export function consoleReport(result: BenchResult): string {
  const t = targets(result);
  return [
    'Summary (median runs; ratios to the floor)',
    summary(result),
    '',
    'Latency by rate (ms)',
    latencyTable(result),
    '',
    'Targets',
    table(
      ['target', 'measured', 'met', 'margin'],
      t.map((x) => [x.target, x.measured, x.met === null ? '-' : x.met ? 'yes' : 'no', x.margin]),
    ),
    profileSection(result),
  ].join('\n');
}

export function markdownReport(result: BenchResult, chartFile: string | null): string {
  const e = result.env;
  const plan = result.plan;
  const t = targets(result);
  const problems = [...(result.platform?.problems ?? []), ...(result.floor?.problems ?? [])];
  const out: string[] = [];
  out.push('# Benchmarks: the platform against its floor');
  out.push('');
  out.push(
    `Generated by \`npm run bench${plan.quick ? ' -- --quick' : ''}\` on ${e.startedAt} in ${n(result.durationMs / 60000, 1)} minutes. ` +
      'Every figure is measured in the same run for the platform (gateway, engine and quoter as separate ' +
      'processes from the production build, on a fresh migrated and seeded database, PostgreSQL and Redis on ' +
      'loopback) and for the floor (`bench/floor.ts`: one process with Fastify, `pg` and `ws` only, doing the ' +
      'same essential work on a small schema of its own).',
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(`- CPU: ${e.cpuModel}, ${e.cores} cores; RAM ${n(e.memoryGiB, 1)} GiB; kernel ${e.kernel}`);
  out.push(
    `- Load average at start: ${e.loadAverage.map((x) => x.toFixed(2)).join(', ')} (the machine is shared; figures are noisy)`,
  );
  out.push(
    `- Disk: fdatasync of one 8 kB write (pg_test_fsync): ${
      e.fdatasync
        ? `${n(e.fdatasync.opsPerSecond, 0)} ops/s, ${e.fdatasync.usPerOp} µs per flush`
        : 'not measured'
    }. Every commit waits for one such flush (synchronous_commit on).`,
  );
  out.push(`- Open files limit: ${e.ulimitNofile}`);
  out.push(
    `- Versions: Node ${e.node}, PostgreSQL ${e.postgres}, Redis ${e.redis}; ` +
      Object.entries(e.packages)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
  );
  out.push('');
  out.push('## Method');
  out.push('');
  out.push(
    [
      `- Load: a separate process (\`bench/load.ts\`) over HTTP and WebSocket only. Open loop: RFQs leave on a fixed schedule and latency counts from the scheduled time. HDR histograms (3 significant digits).`,
      `- Ten makers answer every RFQ: on the platform the two built-in strategies (maker-delta, maker-echo, in the quoter) and eight simulated external makers on sockets that answer \`rfq.created\` with \`quote.submit\` at once; on the floor ten socket makers.`,
      `- Three takers send a mix of 40 % single options, 25 % 2-leg spreads, 15 % 4-leg iron condors and 20 % futures (BTC and ETH), RFQs live ${plan.rfqExpirySeconds} s. ${n(plan.acceptShare * 100, 0)} % of RFQs are accepted (\`POST /v1/rfqs/:id/accept\` with an Idempotency-Key) on the first simulated maker's quote the taker sees.`,
      `- RFQ → first quote: scheduled send time to the first \`quote.created\` on the taker's socket. Accept → fill: accept sent to \`fill.booked\` on the taker's socket. What is still missing when the drain ends is recorded at that moment (a lower bound), so saturation shows in the percentiles.`,
      `- Rates: ${plan.rates.join(', ')} RFQs/s, ${plan.runs} run(s) each (${n(plan.warmupMs / 1000, 0)} s warm-up + ${n(plan.measureMs / 1000, 0)} s measured); the median run (by p99 to first quote) and the best run are reported. The ladder stops at the first rate that clearly saturates (more than 2 % lost, p50 over 100 ms or p99 over 1 s). "Sustained" means p99 to first quote under 50 ms with at most 1 % lost.`,
      `- CPU per RFQ: utime + stime from /proc/<pid>/stat over the measured window, divided by the RFQs sent in it; postgres is the sum over the backends connected to the system's database (WAL writer and other shared background processes are not counted); redis is the whole shared server.`,
      `- Event-loop delay: each process's own \`monitorEventLoopDelay\` histogram (10 ms resolution) over the measured window: \`nodejs_eventloop_lag_*\` from /metrics on the platform, /stats on the floor.`,
      `- Fills per second: ${plan.burstCount} RFQs are prepared with a simulated maker's quote each, then all accepted with ${plan.burstConcurrency} in flight; fills seen on the takers' sockets divided by the time from the first accept to the last confirmation.`,
      `- Memory per idle WebSocket connection: ${plan.sockets} authenticated sockets (subscribed to trades) opened to the process that serves WebSockets; its RSS growth divided by the connections.`,
    ].join('\n'),
  );
  out.push('');
  out.push('## Summary');
  out.push('');
  out.push(summary(result));
  out.push('');
  out.push('## Targets (issue 9)');
  out.push('');
  out.push(
    table(
      ['target', 'measured', 'met', 'margin'],
      t.map((x) => [x.target, x.measured, x.met === null ? '-' : x.met ? 'yes' : 'no', x.margin]),
    ),
  );
  out.push('');
  if (chartFile) {
    out.push(`![Latency percentiles by rate, platform and floor](${chartFile})`);
    out.push('');
  }
  out.push('## Latency by rate (ms)');
  out.push('');
  out.push(latencyTable(result));
  out.push('');
  out.push('## CPU per RFQ (ms, median run)');
  out.push('');
  out.push(cpuTable(result));
  out.push('');
  const idle = (s: SystemReport | null) =>
    s
      ? `${s.name} ${n(s.idleCpuPercent)} (${Object.entries(s.idleCpu ?? {})
          .map(([k, v]) => `${k} ${n(v)}`)
          .join(', ')})`
      : '';
  out.push(
    `Idle CPU before any load, % of one core: ${[idle(result.platform), idle(result.floor)].filter(Boolean).join('; ')}. ` +
      'The per-RFQ figures include this background, spread over the RFQs of the window.',
  );
  out.push('');
  out.push('## Event-loop delay (ms, p99 / max over the measured window, median run)');
  out.push('');
  out.push(loopTable(result));
  out.push('');
  out.push('## Fills booked per second (burst)');
  out.push('');
  out.push(burstTable(result));
  out.push('');
  out.push('## Memory per idle WebSocket connection');
  out.push('');
  out.push(memoryTable(result));
  out.push('');
  const prof = profileSection(result);
  if (prof) out.push(prof);
  if (problems.length > 0) {
    out.push('## Problems seen during the run');
    out.push('');
    for (const p of problems) out.push(`- ${p.replace(/\n/g, ' ').slice(0, 600)}`);
    out.push('');
  }
  return out.join('\n');
}
