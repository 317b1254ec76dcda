import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written while handling one request or one job carries. */
export interface RequestContext {
  /** Follows one business flow: HTTP request → outbox event → relayed job → confirmation. */
  correlationId?: string | undefined;
  /** Set while a BullMQ job runs. */
  queue?: string;
  jobId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` (and everything it awaits or schedules) inside `context`. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The correlation id of the request or job being handled, if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
