import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { PG_POOL, REDIS } from './db.tokens.js';

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
  [key: string]: unknown;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checks: { postgres: CheckResult; redis: CheckResult; queues: CheckResult };
  warnings: string[];
}

/** Probes of the platform's backing services; `status` is `down` when one of them is unreachable. */
@Injectable()
export class HealthService {
  private readonly queueProbes: Array<() => Promise<Record<string, number>>> = [];

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Apps register the queues they own so /health reports their depth. */
  registerQueue(name: string, counts: () => Promise<Record<string, number>>): void {
    this.queueProbes.push(async () => {
      const c = await counts();
      return Object.fromEntries(Object.entries(c).map(([k, v]) => [`${name}.${k}`, v]));
    });
  }

  async check(): Promise<HealthReport> {
    const warnings: string[] = [];
    const [postgres, redis] = await Promise.all([this.checkPostgres(), this.checkRedis(warnings)]);
    const queues = await this.timed(async () => {
      const counts = await Promise.all(this.queueProbes.map((probe) => probe()));
      return { counts: Object.assign({}, ...counts) as Record<string, number> };
    });
    const down = !postgres.ok || !redis.ok || !queues.ok;
    return {
      status: down ? 'down' : warnings.length > 0 ? 'degraded' : 'ok',
      checks: { postgres, redis, queues },
      warnings,
    };
  }

  private checkPostgres(): Promise<CheckResult> {
    return this.timed(async () => {
      await this.pool.query('SELECT 1');
      return {};
    });
  }

  private checkRedis(warnings: string[]): Promise<CheckResult> {
    return this.timed(async () => {
      await this.redis.ping();
      const setting = async (name: string) => {
        const reply: unknown = await this.redis.config('GET', name);
        return Array.isArray(reply) ? String(reply[1] ?? '') : '';
      };
      const policy = (await setting('maxmemory-policy')) || 'unknown';
      const aof = (await setting('appendonly')) || 'no';
      const save = await setting('save');
      if (policy !== 'noeviction') {
        warnings.push(`redis maxmemory-policy is ${policy}: Redis may evict queued jobs (set noeviction)`);
      }
      if (aof !== 'yes' && save.trim() === '') {
        warnings.push(
          'redis has no persistence (appendonly no, no save points): a restart loses queued jobs',
        );
      }
      return { maxmemoryPolicy: policy, appendonly: aof, save };
    });
  }

  private async timed(probe: () => Promise<Record<string, unknown>>): Promise<CheckResult> {
    const started = performance.now();
    try {
      const extra = await probe();
      return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100, ...extra };
    } catch (error) {
      return {
        ok: false,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }
}
