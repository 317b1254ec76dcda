import { BullModule } from '@nestjs/bullmq';
import { Job, Worker } from 'bullmq';
import { runWithContext } from './context.js';
import { rootLogger } from './logger.js';
import { jobDuration, jobsActive, jobsFailed, jobsStalled, jobWait } from './metrics.js';
import { withSpan } from './tracing.js';

type AnyProcessor = (job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

const live = new Set<Worker>();
let inFlight = 0;

/**
 * Wraps a processor: the job runs inside the correlation context of the event it carries
 * (OutboxEventJob.correlationId), in a span when tracing is on, and is timed and logged once.
 */
export function instrumentProcessor(queue: string, processor: AnyProcessor): AnyProcessor {
  return (job, token, signal) => {
    const data = job.data as { correlationId?: unknown } | undefined;
    const correlationId = typeof data?.correlationId === 'string' ? data.correlationId : undefined;
    return runWithContext({ correlationId, queue, jobId: job.id }, () =>
      withSpan(
        `${queue} process`,
        {
          'messaging.system': 'bullmq',
          'messaging.destination.name': queue,
          'messaging.operation.type': 'process',
          'messaging.message.id': job.id,
          'rfq.job.name': job.name,
          'rfq.job.attempt': job.attemptsMade + 1,
          'rfq.correlation_id': correlationId,
        },
        async () => {
          const started = performance.now();
          if (job.attemptsMade === 0 && job.processedOn) {
            const ready = job.timestamp + (job.delay ?? 0);
            jobWait.observe({ queue }, Math.max(0, job.processedOn - ready) / 1000);
          }
          inFlight++;
          jobsActive.inc({ queue });
          try {
            const result = await processor(job, token, signal);
            const seconds = (performance.now() - started) / 1000;
            jobDuration.observe({ queue, name: job.name, outcome: 'completed' }, seconds);
            rootLogger().info(
              { job: job.name, attempt: job.attemptsMade + 1, ms: Math.round(seconds * 1000) },
              'job completed',
            );
            return result;
          } catch (error) {
            const seconds = (performance.now() - started) / 1000;
            jobDuration.observe({ queue, name: job.name, outcome: 'failed' }, seconds);
            jobsFailed.inc({ queue, name: job.name });
            rootLogger().warn(
              {
                job: job.name,
                attempt: job.attemptsMade + 1,
                maxAttempts: job.opts.attempts ?? 1,
                ms: Math.round(seconds * 1000),
                err: error,
              },
              'job failed',
            );
            throw error;
          } finally {
            inFlight--;
            jobsActive.dec({ queue });
          }
        },
      ),
    );
  };
}

/**
 * The Worker class @nestjs/bullmq builds every @Processor with (see installWorkerInstrumentation):
 * instrumented processors, stalled-job accounting, and a registry for a bounded drain at shutdown.
 */
export class InstrumentedWorker extends Worker {
  constructor(name: string, processor?: unknown, ...rest: unknown[]) {
    const wrapped =
      typeof processor === 'function' ? instrumentProcessor(name, processor as AnyProcessor) : processor;
    super(name, wrapped as AnyProcessor, ...(rest as [never]));
    live.add(this);
    this.on('stalled', (jobId: string) => {
      jobsStalled.inc({ queue: name });
      rootLogger().warn({ queue: name, jobId }, 'job stalled: moved back to wait');
    });
    this.on('error', (error: Error) => rootLogger().warn({ queue: name, err: error }, 'worker error'));
    this.on('closed', () => live.delete(this));
  }
}

/** Makes @nestjs/bullmq build its workers with InstrumentedWorker. Call before the app is created. */
export function installWorkerInstrumentation(): void {
  BullModule.workerClass = InstrumentedWorker;
}

/**
 * Stops every worker of this process from taking new jobs and waits for the active ones to finish,
 * at most `timeoutMs`; past that, workers are closed by force and their unfinished jobs are retried
 * elsewhere once their lock expires (BullMQ's stalled-job check).
 */
export async function closeWorkers(timeoutMs: number): Promise<{ workers: number; forced: boolean }> {
  const workers = [...live];
  if (workers.length === 0) return { workers: 0, forced: false };
  const active = inFlight;
  const logger = rootLogger();
  logger.info({ workers: workers.length, activeJobs: active }, 'closing workers: finishing active jobs');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.all(workers.map((w) => w.close())).then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    logger.warn({ activeJobs: inFlight, timeoutMs }, 'workers did not finish in time: closing by force');
    await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
  } else {
    logger.info({ workers: workers.length, finishedJobs: active }, 'workers closed');
  }
  return { workers: workers.length, forced: timedOut };
}

/** Jobs being processed by this process right now. */
export function activeJobCount(): number {
  return inFlight;
}
