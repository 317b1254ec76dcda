/**
 * Avellaneda–Stoikov (2008) market-making simulation with the production quoting code.
 *   npm run sim:as -- --gamma 0.1 --paths 1000 --seed 1
 * Flags (defaults = the paper's market): --sigma 2 --s0 100 --T 1 --dt 0.005 --A 140 --k 1.5 --gamma 0.1
 * --paths 1000 --seed 1, plus --json for machine-readable output. Exit code 2 on bad flags.
 */
import { parseArgs } from 'node:util';

import { AS_PAPER_PARAMS, formatAsTable, simulateAvellanedaStoikov } from '@app/pricing';

const KEYS = ['sigma', 's0', 'T', 'dt', 'A', 'k', 'gamma', 'paths', 'seed'] as const;

const USAGE = `usage: sim-as ${KEYS.map((k) => `[--${k} ${AS_PAPER_PARAMS[k]}]`).join(' ')} [--json]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function main(): void {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        ...Object.fromEntries(KEYS.map((k) => [k, { type: 'string' as const }])),
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
    return;
  }
  const params: Record<(typeof KEYS)[number], number> = { ...AS_PAPER_PARAMS };
  for (const key of KEYS) {
    const raw = values[key];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) fail(`--${key} must be a number, got '${raw}'`);
    params[key] = value;
  }
  let result;
  try {
    result = simulateAvellanedaStoikov(params);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  process.stdout.write(
    values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${formatAsTable(result)}\n`,
  );
}

main();
