import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { QUEUES } from '@app/core';
import { AnalyticsRepository } from './analytics.repository.js';
import { ControlsService } from './controls.service.js';
import { MarkoutService } from './markout.service.js';
import { ProtectionService } from './protection.service.js';
import { MarkoutProcessor, RiskEventsProcessor } from './risk-events.processor.js';
import { RiskGates } from './risk-gates.js';

/** Kill switches and pre-trade checks; import it wherever RFQs, quotes or fills are written. */
@Global()
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.analytics })],
  providers: [ControlsService, RiskGates, ProtectionService, MarkoutService, AnalyticsRepository],
  exports: [ControlsService, ProtectionService, MarkoutService, AnalyticsRepository],
})
export class RiskModule {}

/** The engine's share: maker protection and markouts, driven by relayed events. */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.events }, { name: QUEUES.analytics })],
  providers: [RiskEventsProcessor, MarkoutProcessor],
})
export class RiskEngineModule {}
