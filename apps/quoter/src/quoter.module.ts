import { Module } from '@nestjs/common';

/** BullMQ workers that run the built-in market makers' quoting strategies. */
@Module({ imports: [] })
export class QuoterModule {}
