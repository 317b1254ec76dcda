import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { QUEUES, TimerJob } from '@app/core';
import { Queue } from 'bullmq';

/**
 * Precise expiry and auto-execution through BullMQ delayed jobs. Best effort by design: the job
 * id makes a re-schedule harmless, and the engine's sweeper finds anything due whose job was
 * lost (Redis flushed), so PostgreSQL alone decides what has expired.
 */
@Injectable()
export class TimerScheduler {
  private readonly logger = new Logger(TimerScheduler.name);

  constructor(@InjectQueue(QUEUES.timers) private readonly queue: Queue<TimerJob>) {}

  async schedule(jobs: Array<{ job: TimerJob; at: Date }>): Promise<void> {
    if (jobs.length === 0) return;
    const now = Date.now();
    await this.queue
      .addBulk(
        jobs.map(({ job, at }) => ({
          name: job.kind,
          data: job,
          opts: {
            // BullMQ refuses ':' in custom job ids.
            jobId: `${job.kind}-${'rfqId' in job ? job.rfqId : job.quoteId}`,
            delay: Math.max(0, at.getTime() - now),
            removeOnComplete: true,
            removeOnFail: 1_000,
            attempts: 5,
            backoff: { type: 'exponential', delay: 100 },
          },
        })),
      )
      .catch((error: unknown) =>
        this.logger.warn(`timer scheduling failed (the sweeper will cover it): ${String(error)}`),
      );
  }
}
