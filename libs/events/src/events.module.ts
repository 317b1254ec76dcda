import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { QUEUES } from '@app/core';
import { ConfirmationRedriver } from './confirmation-redriver.service.js';
import { EventBus } from './event-bus.js';
import { OutboxRelayService } from './outbox-relay.service.js';
import { OutboxRepository } from './outbox.repository.js';

/** The outbox writer and the pub/sub bus everywhere; the relay only where `relay: true` (engine). */
@Global()
@Module({})
export class EventsModule {
  static forRoot(options: { relay: boolean }): DynamicModule {
    return {
      module: EventsModule,
      imports: [
        BullModule.registerQueue(
          { name: QUEUES.events },
          { name: QUEUES.rfqBroadcast },
          { name: QUEUES.hedge },
        ),
      ],
      providers: [
        OutboxRepository,
        EventBus,
        ...(options.relay ? [OutboxRelayService, ConfirmationRedriver] : []),
      ],
      exports: [OutboxRepository, EventBus, BullModule, ...(options.relay ? [OutboxRelayService] : [])],
    };
  }
}
