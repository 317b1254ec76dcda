import { Module } from '@nestjs/common';

/** Auction, settlement, expiry timers and the outbox relay. */
@Module({ imports: [] })
export class EngineModule {}
