import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { QUEUES } from '@app/core';
import { InstrumentRepository } from './instrument.repository.js';
import { QuoteService } from './quote.service.js';
import { RfqRepository } from './rfq.repository.js';
import { RfqService } from './rfq.service.js';
import { TimerScheduler } from './timer-scheduler.service.js';

@Global()
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.timers })],
  providers: [InstrumentRepository, RfqRepository, RfqService, QuoteService, TimerScheduler],
  exports: [InstrumentRepository, RfqRepository, RfqService, QuoteService, TimerScheduler, BullModule],
})
export class RfqModule {}
