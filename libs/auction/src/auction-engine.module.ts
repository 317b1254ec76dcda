import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QUEUES } from '@app/core';
import { ExpirySweeper } from './expiry-sweeper.service.js';
import { TimersProcessor } from './timers.processor.js';

/** The engine's share of the auction: timer workers and the expiry sweeper. */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.timers })],
  providers: [TimersProcessor, ExpirySweeper],
  exports: [ExpirySweeper],
})
export class AuctionEngineModule {}
