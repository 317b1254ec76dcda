// npm run ledger:check: recomputes the ledger from postings; exits 1 and names the first offending rows.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';
import { LedgerCheckService, SettlementModule } from '@app/settlement';

loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), SettlementModule] })
class LedgerCheckModule {}

const app = await NestFactory.createApplicationContext(LedgerCheckModule, { logger: false });
const report = await app.get(LedgerCheckService).run();
await app.close();
console.log(
  `ledger check: ${report.counts.fills} fills, ${report.counts.journalEntries} journal entries, ${report.counts.postings} postings`,
);
if (report.ok) {
  console.log('ledger check: clean');
} else {
  for (const p of report.problems) {
    console.log(`FAIL ${p.check}: ${p.message}`);
    for (const row of p.rows) console.log(`  ${JSON.stringify(row)}`);
  }
}
process.exit(report.ok ? 0 : 1);
