import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type OutboxEventJob, QUEUES } from '@app/core';
import { DelayedError, Job } from 'bullmq';
import { HedgerService } from './hedger.service.js';
import { staleRetryDelay } from './rfq-broadcast.processor.js';

/** A hedge is not worth deciding on data this late: after it, the next fill's job will hedge. */
const HEDGE_WAIT_LIMIT_MS = 10 * 60_000;

/**
 * `fill.booked` events (relayed to the hedge queue): delta-hedge the fill's maker. The job id is the event
 * id and so is the hedge's trigger id, so a re-delivered job books nothing twice.
 */
@Processor(QUEUES.hedge, { concurrency: 8 })
export class HedgeProcessor extends WorkerHost {
  constructor(private readonly hedger: HedgerService) {
    super();
  }

  async process(job: Job<OutboxEventJob>, token?: string) {
    if (job.data.type !== 'fill.booked') return null;
    const outcome = await this.hedger.onFill(job.data.eventId, job.data.payload, job.data.correlationId);
    const age = Date.now() - new Date(job.data.createdAt).getTime();
    if (outcome.waitingFor.length > 0 && token && age < HEDGE_WAIT_LIMIT_MS) {
      await job.moveToDelayed(Date.now() + staleRetryDelay(age), token);
      throw new DelayedError();
    }
    return {
      booked: outcome.booked.map((b) => ({
        id: b.id,
        underlying: b.underlying,
        side: b.plan.side,
        quantity: b.plan.quantity.toFixed(),
        price: b.plan.price.toFixed(),
      })),
      duplicates: outcome.duplicates,
      waitingFor: outcome.waitingFor,
    };
  }
}
