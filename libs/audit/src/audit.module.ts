import { Global, Module } from '@nestjs/common';
import { AuditSealer } from './audit-sealer.service.js';
import { AuditRepository } from './audit.repository.js';

@Global()
@Module({ providers: [AuditRepository], exports: [AuditRepository] })
export class AuditModule {}

/** The background sealer of the audit chain: imported by engine processes. */
@Module({ providers: [AuditSealer] })
export class AuditSealerModule {}
