import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The short version of `npm run chaos`: the built apps as separate processes under load on a private
 * Redis, with SIGKILLs, Redis restarts and flushes and dropped PostgreSQL connections. Nothing may be
 * lost or doubled, every RFQ must end final, every confirmation must be delivered, the ledger clean.
 */
describe('faults against the real processes (short run)', () => {
  it('loses and doubles no fill through kills, Redis restarts and flushes, and dropped connections', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [
          'dist/scripts/chaos.js',
          '--quick',
          '--seconds',
          '15',
          '--seed',
          '3',
          '--out',
          join(tmpdir(), `chaos-${process.pid}.md`),
        ],
        { env: process.env, maxBuffer: 20 * 1024 * 1024, timeout: 300_000 },
        (error, stdout, stderr) =>
          error && !stdout.includes('CHAOS_RESULT')
            ? reject(new Error(`${error.message}\n${stderr}`))
            : resolve(stdout),
      );
    });
    const line = out.split('\n').find((l) => l.startsWith('CHAOS_RESULT '));
    expect(line).toBeDefined();
    const result = JSON.parse(line!.slice('CHAOS_RESULT '.length)) as {
      ok: boolean;
      results: Array<{
        lost: number;
        doubled: number;
        rfqsNotFinal: number;
        confirmationsPending: number;
        ledgerClean: boolean;
        fillsBooked: number;
        faults: Record<string, number>;
      }>;
    };
    const run = result.results[0]!;
    expect(Object.values(run.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(run.fillsBooked).toBeGreaterThan(0);
    expect(run.lost).toBe(0);
    expect(run.doubled).toBe(0);
    expect(run.rfqsNotFinal).toBe(0);
    expect(run.confirmationsPending).toBe(0);
    expect(run.ledgerClean).toBe(true);
    expect(result.ok).toBe(true);
  }, 360_000);
});
