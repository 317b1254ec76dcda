import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig, parseConfig } from './config.js';

/**
 * Validates the environment once (through @nestjs/config) into the typed `AppConfig`.
 * `overrides` let tests and the all-in-one process point at their own database and queues.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          validate: (env: Record<string, unknown>) => ({
            app: parseConfig({ ...(env as Record<string, string | undefined>), ...overrides }),
          }),
        }),
      ],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => AppConfig.from(config.getOrThrow('app')),
        },
      ],
      exports: [AppConfig],
    };
  }
}
