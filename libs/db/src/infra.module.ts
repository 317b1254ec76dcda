import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '@app/core';
import { DbModule } from './db.module.js';
import { RedisModule } from './redis.module.js';

/** Configuration, PostgreSQL and Redis/BullMQ connections: the base of every app. */
@Module({})
export class InfraModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: InfraModule,
      global: true,
      imports: [AppConfigModule.forRoot(overrides), DbModule, RedisModule],
      exports: [AppConfigModule, DbModule, RedisModule],
    };
  }
}
