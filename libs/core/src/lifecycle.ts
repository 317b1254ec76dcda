import { INestApplicationContext, Logger } from '@nestjs/common';

/**
 * SIGTERM/SIGINT: close the application (Nest runs every shutdown hook: workers finish their active
 * jobs, sockets close with a reason, pools drain), then exit 0. A bounded wait guards against a
 * hook that never returns.
 */
export function installGracefulShutdown(app: INestApplicationContext, name: string, timeoutMs: number): void {
  const logger = new Logger(name);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: shutting down`);
    const timer = setTimeout(() => {
      logger.error(`shutdown did not finish in ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => {
        logger.log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
