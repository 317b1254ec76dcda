import { Processor, WorkerHost } from '@nestjs/bullmq';
import { MarkoutJob, OutboxEventJob, QUEUES } from '@app/core';
import { Job } from 'bullmq';
import { MarkoutService } from './markout.service.js';
import { ProtectionService } from './protection.service.js';

/** The engine's consumer of every relayed event: maker protection and markouts after each fill. */
@Processor(QUEUES.events, { concurrency: 8 })
export class RiskEventsProcessor extends WorkerHost {
  constructor(
    private readonly protection: ProtectionService,
    private readonly markouts: MarkoutService,
  ) {
    super();
  }

  async process(job: Job<OutboxEventJob>): Promise<void> {
    if (job.data.type !== 'fill.booked') return;
    const makerId = String(job.data.payload.makerId);
    await this.protection.evaluate(makerId);
    await this.markouts.onFill(job.data.aggregateId);
  }
}

@Processor(QUEUES.analytics, { concurrency: 4 })
export class MarkoutProcessor extends WorkerHost {
  constructor(private readonly markouts: MarkoutService) {
    super();
  }

  async process(job: Job<MarkoutJob>): Promise<void> {
    await this.markouts.record(job.data.fillId, job.data.horizonSeconds);
  }
}
