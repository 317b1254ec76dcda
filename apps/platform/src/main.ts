import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createHttpApp, listen } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';
import { PlatformModule } from './platform.module.js';

const config = loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), PlatformModule] })
class PlatformAppModule {}

const app = await createHttpApp(PlatformAppModule, config.LOG_LEVEL, config.BODY_LIMIT_BYTES);
await listen(app, config, 'platform');
installGracefulShutdown(app, 'platform', config.SHUTDOWN_TIMEOUT_MS);
