import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createHttpApp, listen } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { assertMigrationsApplied, InfraModule, ReadPoolModule } from '@app/db';
import { bootObservability, ObservabilityModule } from '@app/observability';
import { GatewayModule } from './gateway.module.js';

const config = loadConfigOrExit();
const observability = bootObservability('gateway', config);
await assertMigrationsApplied(config.DATABASE_URL, { configuredDir: config.MIGRATIONS_DIR });

@Module({ imports: [InfraModule.forRoot(), ReadPoolModule, ObservabilityModule.forRoot(), GatewayModule] })
class GatewayAppModule {}

const app = await createHttpApp(GatewayAppModule, observability.nestLogger, config.BODY_LIMIT_BYTES);
await listen(app, config, 'gateway');
installGracefulShutdown(app, 'gateway', config.SHUTDOWN_TIMEOUT_MS);
