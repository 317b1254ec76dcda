/**
 * Seeded chaos simulation of the whole engine on a fake clock (libs/sim, docs/reliability.md).
 *   npm run sim:chaos -- --seed 1 --steps 500
 * Flags: --seed N (default 1), --steps M (default 500), --seeds a,b,c (several seeds in a row),
 * --progress K (a line every K steps, default 100; 0 = quiet), --no-shrink, --shrink-runs R (80),
 * --shrink-seconds S (120), --verify-replay (run each history twice and compare every outcome),
 * --only 3,17,42 (replay just these action ids of the seed's history, e.g. a shrunk one),
 * --plant balance|quote-state (plant a fault to watch the auditor and the shrinker work), --json,
 * --template DB (or SIM_TEMPLATE: clone this migrated database instead of running migrations).
 * Uses DATABASE_URL's server (creates and drops rfq_sim_<seed>_<pid>*) and REDIS_URL (a private
 * key prefix, removed at the end). Exit code 1 on an invariant violation, 2 on bad flags.
 */
import { parseArgs } from 'node:util';
import { formatReport, PlantKind, prepareSimBase, simulate, SimulationReport } from '@app/sim';

const USAGE =
  'usage: sim-chaos [--seed N | --seeds a,b,c] [--steps M] [--progress K] [--no-shrink] [--shrink-runs R] ' +
  '[--shrink-seconds S] [--verify-replay] [--only ids] [--plant balance|quote-state] [--template DB] [--json]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) fail(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return v;
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: 'string' },
        seeds: { type: 'string' },
        steps: { type: 'string' },
        progress: { type: 'string' },
        'no-shrink': { type: 'boolean' },
        'shrink-runs': { type: 'string' },
        'shrink-seconds': { type: 'string' },
        'verify-replay': { type: 'boolean' },
        only: { type: 'string' },
        plant: { type: 'string' },
        template: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const seeds = str('seeds')
    ? str('seeds')!
        .split(',')
        .map((s) => integer('seeds', s.trim(), 0))
    : [integer('seed', str('seed'), 1)];
  const steps = integer('steps', str('steps'), 500, 1);
  const plantRaw = str('plant');
  if (plantRaw !== undefined && plantRaw !== 'balance' && plantRaw !== 'quote-state')
    fail(`--plant must be balance or quote-state, got '${plantRaw}'`);
  const plant: PlantKind | undefined = plantRaw;
  const only = str('only')
    ? new Set(
        str('only')!
          .split(',')
          .map((s) => integer('only', s.trim(), 0)),
      )
    : null;

  const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/rfq';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const json = values.json === true;
  const log = (line: string) => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  const started = Date.now();
  const template = str('template') ?? process.env.SIM_TEMPLATE;
  if (template !== undefined && !/^[a-z0-9_]+$/.test(template)) fail(`--template must be a database name`);
  log(
    template
      ? `sim:chaos: cloning the migrated database ${template}`
      : 'sim:chaos: creating and migrating a database (npx prisma migrate deploy)',
  );
  const base = await prepareSimBase({
    databaseUrl,
    name: `rfq_sim_${seeds[0]}_${process.pid}`,
    migratedTemplate: template,
  });
  const reports: SimulationReport[] = [];
  try {
    for (const seed of seeds) {
      const report = await simulate({
        base,
        seed,
        steps,
        databaseUrl,
        redisUrl,
        plant: plant ?? null,
        progressEvery: integer('progress', str('progress'), 100),
        log,
        shrink: values['no-shrink'] !== true,
        shrinkRuns: integer('shrink-runs', str('shrink-runs'), 80, 1),
        shrinkSeconds: integer('shrink-seconds', str('shrink-seconds'), 120, 1),
        verifyReplay: values['verify-replay'] === true,
        filter: only ? (a) => only.has(a.id) : undefined,
      });
      reports.push(report);
      log(formatReport(report));
    }
  } finally {
    await base.drop();
  }
  const failed = reports.filter((r) => r.result.failure || r.replayIdentical === false);
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        reports.map((r) => ({
          seed: r.seed,
          ok: !r.result.failure,
          stats: r.result.stats,
          failure: r.result.failure,
          shrunk: r.shrunk?.actions ?? null,
          replayIdentical: r.replayIdentical,
          durationMs: r.durationMs,
        })),
        null,
        2,
      )}\n`,
    );
  } else {
    const total = reports.reduce((s, r) => s + r.result.stats.steps, 0);
    log(
      `sim:chaos: ${reports.length} seed(s), ${total} steps, ${failed.length} failing, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `sim:chaos crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
