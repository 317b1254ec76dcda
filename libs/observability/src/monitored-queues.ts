import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, QUEUES } from '@app/core';
import { redisOptions } from '@app/db';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * Read-only handles on every queue of the platform (QUEUES), on one Redis connection of their own:
 * what the queue gauges count and what the dashboard at /admin/queues shows. They add no job.
 */
@Injectable()
export class MonitoredQueues implements OnApplicationShutdown {
  readonly connection: Redis;
  readonly queues: Queue[];

  constructor(config: AppConfig) {
    this.connection = new Redis({ ...redisOptions(config.REDIS_URL), connectionName: 'rfq-monitor' });
    this.connection.on('error', () => undefined); // reported by /health and the gauges
    this.queues = [...new Set(Object.values(QUEUES))].map(
      (name) => new Queue(name, { connection: this.connection, prefix: config.QUEUE_PREFIX }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close().catch(() => undefined)));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}
