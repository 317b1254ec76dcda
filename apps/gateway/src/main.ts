import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createHttpApp, listen } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { InfraModule } from '@app/db';
import { GatewayModule } from './gateway.module.js';

const config = loadConfigOrExit();

@Module({ imports: [InfraModule.forRoot(), GatewayModule] })
class GatewayAppModule {}

const app = await createHttpApp(GatewayAppModule, config.LOG_LEVEL, config.BODY_LIMIT_BYTES);
await listen(app, config, 'gateway');
installGracefulShutdown(app, 'gateway', config.SHUTDOWN_TIMEOUT_MS);
