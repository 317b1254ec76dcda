import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Latency {
  count: number;
  p50: number;
  p99: number;
}
interface Run {
  result: { sent: number; firstQuote: Latency; fill: Latency };
  cpuPerRfq: Record<string, number>;
}
interface SystemReport {
  name: string;
  rates: Array<{ rate: number; runs: Run[] }>;
  burst: { fills: number; fillsPerSecond: number } | null;
  memory: { connections: number; bytesPerConnection: number } | null;
  problems: string[];
}

/**
 * `npm run bench -- --quick` as CI runs it: the benchmark works end to end (platform and floor both
 * measured, a report with ratios written), whatever the figures are. The targets are not checked.
 */
describe('benchmark (--quick)', () => {
  it('measures the platform and the floor and writes the report with ratios', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    const docs = join(process.cwd(), 'docs', 'benchmarks.md');
    const docsBefore = existsSync(docs) ? statSync(docs).mtimeMs : null;
    try {
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          // BENCH_SCRIPT: another build of the bench (default: the one scripts/test.sh builds).
          [process.env.BENCH_SCRIPT ?? 'dist/bench/bench.js', '--quick', '--out', out],
          { env: process.env, maxBuffer: 20 * 1024 * 1024, timeout: 280_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
        );
      });
      expect(stdout).toContain('Summary (median runs; ratios to the floor)');

      const result = JSON.parse(readFileSync(join(out, 'benchmarks.json'), 'utf8')) as {
        platform: SystemReport | null;
        floor: SystemReport | null;
      };
      for (const system of [result.platform, result.floor]) {
        expect(system).not.toBeNull();
        const s = system!;
        expect(s.problems.filter((p) => p.startsWith('aborted'))).toEqual([]);
        expect(s.rates.length).toBeGreaterThan(0);
        const first = s.rates[0]!.runs[0]!;
        expect(first.result.sent).toBeGreaterThan(0);
        for (const v of [first.result.firstQuote.p50, first.result.firstQuote.p99]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThan(0);
        }
        const fills = s.rates.flatMap((r) => r.runs).reduce((n, r) => n + r.result.fill.count, 0);
        expect(fills).toBeGreaterThan(0);
        const withFills = s.rates.flatMap((r) => r.runs).find((r) => r.result.fill.count > 0)!;
        expect(withFills.result.fill.p50).toBeGreaterThan(0);
        expect(Number.isFinite(withFills.result.fill.p99)).toBe(true);
        expect(Object.values(first.cpuPerRfq).some((ms) => ms > 0)).toBe(true);
        expect(s.burst?.fills).toBeGreaterThan(0);
        expect(s.burst?.fillsPerSecond).toBeGreaterThan(0);
        expect(s.memory?.connections).toBeGreaterThan(0);
        expect(Number.isFinite(s.memory?.bytesPerConnection)).toBe(true);
      }

      const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
      const row = md.split('\n').find((l) => l.startsWith('| RFQ → first quote p50'));
      expect(row).toBeDefined();
      // platform, floor, and their ratio as numbers: "| label | 12.3 | 4.5 | 2.73× |"
      expect(row).toMatch(/\| [\d.]+ \| [\d.]+ \| [\d.]+× \|$/);
      expect(md).toContain('fdatasync');
      expect(md).toContain('## Targets');
      // Quick mode reports elsewhere: docs/ holds the full run's results only.
      expect(existsSync(docs) ? statSync(docs).mtimeMs : null).toBe(docsBefore);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
