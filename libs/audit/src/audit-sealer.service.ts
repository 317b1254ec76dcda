import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';

// How long a committed audit record may wait for its hash.
const SEAL_EVERY_MS = 200;

/** Seals committed audit records into the hash chain in the background (engine processes). */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly audit: AuditRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.audit
        .sealAll()
        .catch((error: unknown) => this.logger.warn(`audit sealing: ${String(error)}`))
        .finally(() => (this.running = null));
    }, SEAL_EVERY_MS);
  }

  // Seal what is left, so a clean shutdown leaves a fully chained log.
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.audit.sealAll().catch(() => undefined);
  }
}
