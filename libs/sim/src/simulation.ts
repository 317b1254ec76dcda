import type { AppConfig } from '@app/core';
import {
  cloneDatabase,
  createMigratedDatabase,
  databaseUrlFor,
  dropDatabase,
  seedSimulationDatabase,
  simConfig,
} from './database.js';
import { Action, describeAction, generateHistory, PlantKind } from './history.js';
import { RunResult, SimRunner } from './runner.js';
import { shrinkHistory } from './shrink.js';
import { startWorld } from './world.js';

export interface SimulationOptions {
  seed: number;
  steps: number;
  /** Any PostgreSQL URL of the server to use; databases are created next to it. */
  databaseUrl: string;
  redisUrl: string;
  /** A migrated database to clone instead of running `prisma migrate deploy` (the test template). */
  migratedTemplate?: string;
  plant?: PlantKind | null;
  progressEvery?: number;
  log?: (line: string) => void;
  shrink?: boolean;
  shrinkRuns?: number;
  shrinkSeconds?: number;
  /** Run the history a second time and compare every step's outcome. */
  verifyReplay?: boolean;
  ledgerEvery?: number;
  chainEvery?: number;
  /** Keep only some actions of the seed's history (to replay a shrunk history by its action ids). */
  filter?: (action: Action) => boolean;
}

export interface SimulationReport {
  seed: number;
  history: Action[];
  result: RunResult;
  /** The shortest failing history found, when the run failed and shrinking was asked for. */
  shrunk: { actions: Action[]; runs: number; exhausted: boolean; result: RunResult | null } | null;
  /** null when not verified; else whether the replay produced the same outcome at every step. */
  replayIdentical: boolean | null;
  replayDifference: string | null;
  durationMs: number;
}

/** A migrated and seeded database at the simulated epoch: every run works on a clone of it. */
export interface SimBase {
  databaseUrl: string;
  name: string;
  config: AppConfig;
  /** Clones for the next runs, made ahead of time so a replay does not wait for CREATE DATABASE. */
  take(): Promise<{ name: string; url: string }>;
  /** Drops a clone in the background; `drop()` waits for all of them. */
  release(name: string): void;
  drop(): Promise<void>;
}

export async function prepareSimBase(options: {
  databaseUrl: string;
  name: string;
  migratedTemplate?: string;
}): Promise<SimBase> {
  const { databaseUrl, name } = options;
  const config: AppConfig = simConfig({ ...process.env, DATABASE_URL: databaseUrl });
  await createMigratedDatabase(databaseUrl, name, options.migratedTemplate);
  try {
    await seedSimulationDatabase(databaseUrlFor(databaseUrl, name), config);
  } catch (error) {
    await dropDatabase(databaseUrl, name).catch(() => undefined);
    throw error;
  }
  let counter = 0;
  const background: Array<Promise<unknown>> = [];
  const all = new Set<string>();
  const clone = () => {
    const cloneName = `${name}_r${counter++}`;
    all.add(cloneName);
    return cloneDatabase(databaseUrl, name, cloneName).then((url) => ({ name: cloneName, url }));
  };
  let next: Promise<{ name: string; url: string }> | null = null;
  return {
    databaseUrl,
    name,
    config,
    async take() {
      const current = next ?? clone();
      const taken = await current;
      next = clone();
      next.catch(() => undefined);
      return taken;
    },
    release(cloneName) {
      all.delete(cloneName);
      background.push(dropDatabase(databaseUrl, cloneName).catch(() => undefined));
    },
    async drop() {
      if (next) await next.catch(() => undefined);
      await Promise.all(background);
      for (const n of all) await dropDatabase(databaseUrl, n).catch(() => undefined);
      await dropDatabase(databaseUrl, name).catch(() => undefined);
    },
  };
}

/**
 * One seed end to end: the history run on a clone of the base (each replay gets its own clone),
 * an optional second run to prove the replay is identical, shrinking on failure, and cleanup.
 */
export async function simulate(options: SimulationOptions & { base?: SimBase }): Promise<SimulationReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const base =
    options.base ??
    (await prepareSimBase({
      databaseUrl: options.databaseUrl,
      name: `rfq_sim_${Math.abs(Math.trunc(options.seed))}_${process.pid}`,
      migratedTemplate: options.migratedTemplate,
    }));
  let runNumber = 0;
  try {
    const runOnce = async (actions: Action[], progress: boolean): Promise<RunResult> => {
      const n = runNumber++;
      const clone = await base.take();
      const world = await startWorld({
        databaseUrl: clone.url,
        redisUrl: options.redisUrl,
        queuePrefix: `{sim${Math.abs(Math.trunc(options.seed))}x${process.pid}x${n}}`,
        config: base.config,
      });
      try {
        return await new SimRunner(world).run(actions, {
          progressEvery: progress ? options.progressEvery : 0,
          log,
          label: `seed ${options.seed}`,
          ledgerEvery: options.ledgerEvery ?? 10,
          chainEvery: options.chainEvery ?? 50,
        });
      } finally {
        await world.close();
        base.release(clone.name);
      }
    };

    const generated = generateHistory({ seed: options.seed, steps: options.steps, plant: options.plant });
    const history = options.filter ? generated.filter(options.filter) : generated;
    const result = await runOnce(history, true);

    let replayIdentical: boolean | null = null;
    let replayDifference: string | null = null;
    if (options.verifyReplay) {
      const replay = await runOnce(history, false);
      const n = Math.max(result.outcomes.length, replay.outcomes.length);
      replayIdentical = true;
      for (let i = 0; i < n; i++) {
        if (result.outcomes[i] !== replay.outcomes[i]) {
          replayIdentical = false;
          const at = history[i];
          replayDifference = `step ${i + 1} (${at ? describeAction(at) : '-'}): ${result.outcomes[i]} / ${replay.outcomes[i]}`;
          break;
        }
      }
    }

    let shrunk: SimulationReport['shrunk'] = null;
    if (result.failure && options.shrink !== false) {
      const target = result.failure.violations[0]!.check;
      const failing = history.slice(0, result.failure.index + 1);
      log(`[seed ${options.seed}] shrinking ${failing.length} actions (invariant ${target})`);
      let last: RunResult | null = null;
      const s = await shrinkHistory(
        failing,
        async (candidate) => {
          const r = await runOnce(candidate, false);
          if (r.failure && r.failure.violations.some((v) => v.check === target)) {
            last = r;
            return r.failure.index;
          }
          return null;
        },
        {
          runs: options.shrinkRuns ?? 80,
          deadline: Date.now() + (options.shrinkSeconds ?? 120) * 1000,
        },
      );
      shrunk = { ...s, result: last };
      log(`[seed ${options.seed}] shrunk to ${s.actions.length} actions in ${s.runs} replays`);
    }
    return {
      seed: options.seed,
      history,
      result,
      shrunk,
      replayIdentical,
      replayDifference,
      durationMs: Date.now() - started,
    };
  } finally {
    if (!options.base) await base.drop();
  }
}

/** A human summary of one report: counts, the first violation, and the shortest failing history. */
export function formatReport(report: SimulationReport): string {
  const { stats, failure } = report.result;
  const lines = [
    `seed ${report.seed}: ${failure ? 'VIOLATION' : 'ok'} after ${stats.steps}/${report.history.length} steps in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  simulated ${stats.simulatedSeconds.toFixed(1)} s: ${stats.rfqs} RFQs, ${stats.quotes} quotes, ${stats.fills} fills in ${stats.executions} executions`,
    `  retries replayed ${stats.retriesReplayed}, concurrent groups ${stats.concurrentGroups} (${stats.concurrentCalls} calls), ` +
      `timers delivered ${stats.timersDelivered} (+${stats.duplicateDeliveries} duplicates, ${stats.timersLost} lost), ` +
      `sweeps ${stats.sweeps}, events relayed ${stats.relayed}`,
    `  invariant checks ${stats.invariantChecks} (${stats.auditorRuns} audits, ${stats.ledgerChecks} ledger checks, ${stats.chainVerifications} chain verifications)`,
    `  rejections: ${
      Object.entries(stats.rejections)
        .sort(([, a], [, b]) => b - a)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || 'none'
    }`,
  ];
  if (report.replayIdentical !== null)
    lines.push(
      `  replay: ${report.replayIdentical ? 'identical outcome at every step' : `DIFFERENT at ${report.replayDifference}`}`,
    );
  if (failure) {
    lines.push(`  violated after step ${failure.index + 1}: ${describeAction(failure.action)}`);
    for (const v of failure.violations.slice(0, 10)) lines.push(`    ${v.check}: ${v.detail}`);
  }
  if (report.shrunk) {
    lines.push(
      `  shortest failing history found (${report.shrunk.actions.length} actions, ${report.shrunk.runs} replays${report.shrunk.exhausted ? ', budget exhausted' : ''}):`,
    );
    for (const a of report.shrunk.actions) lines.push(`    ${describeAction(a)}`);
    const v = report.shrunk.result?.failure?.violations[0];
    if (v) lines.push(`    => ${v.check}: ${v.detail}`);
  }
  return lines.join('\n');
}
