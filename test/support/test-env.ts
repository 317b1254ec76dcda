import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEMPLATE_DB, adminQuery, databaseUrl } from './pg-admin.js';

export interface TestEnv {
  name: string;
  databaseUrl: string;
  queuePrefix: string;
  redisUrl: string;
  /** Configuration overrides that point an app at this file's own database and queues. */
  overrides: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh database (cloned from the migrated template) and a private BullMQ prefix for one test file. */
export async function createTestEnv(label: string): Promise<TestEnv> {
  const suffix = randomBytes(4).toString('hex');
  const name = `rfq_t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${suffix}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  const queuePrefix = `{t${suffix}}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const url = databaseUrl(name);
  return {
    name,
    databaseUrl: url,
    queuePrefix,
    redisUrl,
    overrides: {
      DATABASE_URL: url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'error',
      NODE_ENV: 'test',
    },
    async drop() {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${queuePrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
