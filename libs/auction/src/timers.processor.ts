import { Processor, WorkerHost } from '@nestjs/bullmq';
import { QUEUES, TimerJob } from '@app/core';
import { QuoteService, RfqService } from '@app/rfq';
import { Job } from 'bullmq';
import { AuctionService } from './auction.service.js';

/** Delayed timer jobs: RFQ expiry, quote expiry, auto-execution. Each handler is idempotent. */
@Processor(QUEUES.timers, { concurrency: 8 })
export class TimersProcessor extends WorkerHost {
  constructor(
    private readonly rfqs: RfqService,
    private readonly quotes: QuoteService,
    private readonly auction: AuctionService,
  ) {
    super();
  }

  async process(job: Job<TimerJob>): Promise<void> {
    const data = job.data;
    switch (data.kind) {
      case 'rfq.expire':
        await this.rfqs.expire(data.rfqId);
        return;
      case 'quote.expire':
        await this.quotes.expire(data.quoteId);
        return;
      case 'rfq.auto-execute':
        await this.auction.autoExecute(data.rfqId);
        return;
    }
  }
}
