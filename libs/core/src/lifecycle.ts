import { INestApplicationContext, Logger } from '@nestjs/common';

type Step = { name: string; order: number; run: () => unknown };

const beforeSteps: Step[] = [];
const afterSteps: Step[] = [];
let shuttingDown = false;

/** True from the moment SIGTERM/SIGINT arrives: /health answers 503, responses carry Connection: close. */
export function isShuttingDown(): boolean {
  return shuttingDown;
}

/**
 * Work that must happen before Nest's shutdown hooks, lowest `order` first: stop accepting HTTP
 * connections (10), let BullMQ workers finish their active jobs (20). Nest runs the hooks of global
 * modules (pools, Redis) before those of feature modules, so draining cannot be left to them.
 */
export function beforeAppClose(name: string, run: () => unknown, order = 50): void {
  beforeSteps.push({ name, order, run });
  beforeSteps.sort((a, b) => a.order - b.order);
}

/** Work after the application closed, e.g. flushing traces. */
export function afterAppClose(name: string, run: () => unknown, order = 50): void {
  afterSteps.push({ name, order, run });
  afterSteps.sort((a, b) => a.order - b.order);
}

/**
 * SIGTERM/SIGINT: stop intake, drain (the steps above), close the application (Nest runs every
 * shutdown hook: sockets get a close frame, in-flight requests and transactions finish, pools
 * drain), then exit 0. A bounded wait guards against a step or hook that never returns (exit 1).
 */
export function installGracefulShutdown(app: INestApplicationContext, name: string, timeoutMs: number): void {
  const logger = new Logger(name);
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    shuttingDown = true;
    const started = Date.now();
    logger.log(`${signal} received: shutting down (bound ${timeoutMs} ms)`);
    const timer = setTimeout(() => {
      logger.error(`shutdown did not finish in ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    try {
      for (const step of beforeSteps) await step.run();
      await app.close();
      for (const step of afterSteps) {
        try {
          await step.run();
        } catch (error) {
          logger.warn(`shutdown step ${step.name}: ${String(error)}`);
        }
      }
      logger.log(`stopped in ${Date.now() - started} ms`);
      process.exit(0);
    } catch (error) {
      logger.error(`shutdown failed: ${String(error)}`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}
