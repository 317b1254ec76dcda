import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type OutboxEventJob, QUEUES } from '@app/core';
import { DelayedError, Job } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { AutoQuoteService, type BroadcastResult, type RfqCreatedPayload } from './auto-quote.service.js';

/**
 * How long a job whose market data is stale waits before it looks again: 250 ms while the RFQ is young,
 * growing with its age (age/20, at most 5 s) so that RFQs left open through a long feed outage cost little.
 */
export function staleRetryDelay(ageMs: number): number {
  return Math.min(5_000, Math.max(250, ageMs / 20));
}

/**
 * `rfq.created` events (relayed to the rfq-broadcast queue): the built-in makers quote the new RFQ. A job
 * whose underlying's data is stale is put back as delayed (not failed) until the data is fresh or the RFQ
 * expires; a crash mid-job leaves it to BullMQ's retries, and the client quote id makes the retry quote
 * nothing twice.
 */
@Processor(QUEUES.rfqBroadcast, { concurrency: 16 })
export class RfqBroadcastProcessor extends WorkerHost {
  constructor(private readonly auto: AutoQuoteService) {
    super();
  }

  async process(job: Job<OutboxEventJob>, token?: string): Promise<BroadcastResult | null> {
    const pickedUpAt = performance.now();
    if (job.data.type !== 'rfq.created') return null;
    const payload = job.data.payload as unknown as RfqCreatedPayload;
    const result = await this.auto.onRfqCreated(payload, job.data.correlationId, pickedUpAt);
    const expiresAt = new Date(payload.expiresAt).getTime();
    const retryAt = Date.now() + staleRetryDelay(Date.now() - new Date(job.data.createdAt).getTime());
    if (result.waitingFor.length > 0 && token && retryAt < expiresAt) {
      await job.moveToDelayed(retryAt, token);
      throw new DelayedError();
    }
    return result;
  }
}
