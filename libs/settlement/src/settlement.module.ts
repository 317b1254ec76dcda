import { Global, Module } from '@nestjs/common';
import { BookingRepository } from './booking.repository.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { LedgerCheckService } from './ledger-check.service.js';
import { SettlementService } from './settlement.service.js';

@Global()
@Module({
  providers: [BookingRepository, IdempotencyRepository, SettlementService, LedgerCheckService],
  exports: [BookingRepository, IdempotencyRepository, SettlementService, LedgerCheckService],
})
export class SettlementModule {}
