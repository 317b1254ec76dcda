// npm run audit:verify: walks the audit hash chain; exits 1 naming the first broken record.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule, AuditRepository } from '@app/audit';
import { loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';

loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), AuditModule] })
class AuditVerifyModule {}

const app = await NestFactory.createApplicationContext(AuditVerifyModule, { logger: false });
const result = await app.get(AuditRepository).verify();
await app.close();
if (result.ok) {
  console.log(`audit chain intact: ${result.records} records`);
} else {
  console.log(
    `audit chain BROKEN at seq ${result.firstBreak!.seq}: ${result.firstBreak!.reason} (checked ${result.records} records)`,
  );
}
process.exit(result.ok ? 0 : 1);
