import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestLogLevels } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';
import { QuoterModule } from './quoter.module.js';

const config = loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), QuoterModule] })
class QuoterAppModule {}

const app = await NestFactory.createApplicationContext(QuoterAppModule, {
  logger: nestLogLevels(config.LOG_LEVEL),
});
await app.init();
installGracefulShutdown(app, 'quoter', config.SHUTDOWN_TIMEOUT_MS);
new Logger('quoter').log('quoter running');
