import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { createHttpApp, listen } from '@app/api';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { assertMigrationsApplied, InfraModule, ReadPoolModule } from '@app/db';
import { bootObservability, ObservabilityModule } from '@app/observability';
import { PlatformModule } from './platform.module.js';

const config = loadConfigOrExit();
const observability = bootObservability('platform', config);
await assertMigrationsApplied(config.DATABASE_URL, { configuredDir: config.MIGRATIONS_DIR });

@Module({ imports: [InfraModule.forRoot(), ReadPoolModule, ObservabilityModule.forRoot(), PlatformModule] })
class PlatformAppModule {}

const app = await createHttpApp(PlatformAppModule, observability.nestLogger, config.BODY_LIMIT_BYTES);
await listen(app, config, 'platform');
installGracefulShutdown(app, 'platform', config.SHUTDOWN_TIMEOUT_MS);
