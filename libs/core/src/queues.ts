/**
 * Every BullMQ queue of the platform and the payload of its jobs, in one place. Queue keys are
 * prefixed with a Redis hash tag (config QUEUE_PREFIX) so BullMQ also works on Redis Cluster.
 */
export const QUEUES = {
  /** Relayed events the engine acts on after commit (maker protection and markouts after a fill). */
  events: 'events',
  /** New or changed RFQs broadcast to the built-in makers' quoting workers. */
  rfqBroadcast: 'rfq-broadcast',
  /** Delayed jobs: RFQ expiry, quote expiry, auto-execution at the end of a collection window. */
  timers: 'timers',
  /** Delta-hedging requests raised after a maker's fill. */
  hedge: 'hedge',
  /** Delayed analytics work: fill markouts at 1 s, 10 s and 60 s. */
  analytics: 'analytics',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface OutboxEventJob {
  eventId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  correlationId: string | null;
  createdAt: string;
}

export interface MarkoutJob {
  fillId: string;
  horizonSeconds: number;
}

/**
 * Which relayed events become durable jobs, and on which queues. Every event reaches the gateways'
 * sockets through pub/sub; only those with a worker acting on them are also enqueued (a BullMQ job
 * costs several Redis round trips). The job is the event itself and its id is the event id, so a
 * re-relayed event is never processed twice.
 */
export const EVENT_ROUTES: Readonly<Record<string, readonly QueueName[]>> = {
  'rfq.created': [QUEUES.rfqBroadcast],
  'fill.booked': [QUEUES.events, QUEUES.hedge],
};

export type TimerJob =
  | { kind: 'rfq.expire'; rfqId: string }
  | { kind: 'quote.expire'; quoteId: string }
  | { kind: 'rfq.auto-execute'; rfqId: string };
