import { Injectable } from '@nestjs/common';

const CAPACITY = 10_000;

/**
 * Latency of the broadcast path, from an `rfq.created` job being picked up to a built-in quote being
 * committed (live), in ms: a bounded ring buffer read by scripts/bench-quote.ts and available to metrics.
 */
@Injectable()
export class QuotingMetrics {
  private readonly samples: number[] = [];
  private next = 0;

  recordQuoteLatency(ms: number): void {
    if (this.samples.length < CAPACITY) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % CAPACITY;
  }

  quoteLatencies(): number[] {
    return [...this.samples];
  }

  reset(): void {
    this.samples.length = 0;
    this.next = 0;
  }
}
