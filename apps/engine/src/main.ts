import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestLogLevels } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';
import { EngineModule } from './engine.module.js';

const config = loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), EngineModule] })
class EngineAppModule {}

const app = await NestFactory.createApplicationContext(EngineAppModule, {
  logger: nestLogLevels(config.LOG_LEVEL),
});
await app.init();
installGracefulShutdown(app, 'engine', config.SHUTDOWN_TIMEOUT_MS);
new Logger('engine').log('engine running');
