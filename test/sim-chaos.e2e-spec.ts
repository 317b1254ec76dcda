import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReport, prepareSimBase, SimBase, simulate } from '@app/sim';
import { BASE_DATABASE_URL, TEMPLATE_DB } from './support/pg-admin.js';

/**
 * The seeded chaos simulation (libs/sim, `npm run sim:chaos`): the engine in-process on a fake clock,
 * random interleavings of every operation with duplicate deliveries and retries, every invariant
 * audited after every step. A failure prints the shortest failing history found; reproduce it with
 * `npm run sim:chaos -- --seed N --steps M` (or `--only <ids>`). SIM_STEPS overrides the length.
 */
const SEEDS = [1, 2, 3];
const STEPS = Number(process.env.SIM_STEPS ?? 500);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('seeded chaos simulation of the engine', () => {
  let base: SimBase;
  const lines: string[] = [];
  const common = () => ({
    base,
    databaseUrl: BASE_DATABASE_URL,
    redisUrl: REDIS_URL,
    log: (line: string) => lines.push(line),
  });

  beforeAll(async () => {
    base = await prepareSimBase({
      databaseUrl: BASE_DATABASE_URL,
      name: `rfq_sim_ci_${process.pid}`,
      migratedTemplate: TEMPLATE_DB,
    });
  });

  afterAll(async () => {
    await base?.drop();
  });

  it.each(SEEDS)(`seed %i keeps every invariant for ${STEPS} steps`, async (seed) => {
    const report = await simulate({ ...common(), seed, steps: STEPS, shrinkRuns: 25, shrinkSeconds: 40 });
    if (report.result.failure) throw new Error(formatReport(report));
    const { stats } = report.result;
    expect(stats.steps).toBe(STEPS);
    // The run did trade, retry, race and expire: not a simulation of nothing.
    expect(stats.fills).toBeGreaterThan(0);
    expect(stats.retriesReplayed).toBeGreaterThan(0);
    expect(stats.concurrentGroups).toBeGreaterThan(0);
    expect(stats.timersDelivered).toBeGreaterThan(0);
    expect(stats.invariantChecks).toBeGreaterThan(STEPS * 20);
  });

  it('replays a seed identically: the same outcome at every step', async () => {
    const report = await simulate({ ...common(), seed: 4, steps: 120, verifyReplay: true });
    if (report.result.failure) throw new Error(formatReport(report));
    expect(report.replayDifference).toBeNull();
    expect(report.replayIdentical).toBe(true);
  });

  it('catches a planted ledger fault and shrinks its history to the few actions that matter', async () => {
    const report = await simulate({
      ...common(),
      seed: 7,
      steps: 40,
      plant: 'balance',
      shrinkRuns: 30,
      shrinkSeconds: 45,
    });
    expect(report.result.failure?.violations[0]?.check).toBe('balance-equals-postings');
    const shrunk = report.shrunk!;
    // An RFQ, a quote, a fill that creates balances, the sabotage: nothing else is needed.
    expect(shrunk.actions.length).toBeLessThanOrEqual(6);
    expect(shrunk.actions.at(-1)?.kind).toBe('sabotage');
    expect(shrunk.actions.map((a) => a.kind)).toEqual(
      expect.arrayContaining(['rfq.create', 'quote.submit', 'sabotage']),
    );
    expect(shrunk.result?.failure?.violations[0]?.check).toBe('balance-equals-postings');
  });
});
