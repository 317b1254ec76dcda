import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { assertMigrationsApplied, InfraModule, ReadPoolModule } from '@app/db';
import { bootObservability } from '@app/observability';
import { EngineModule } from './engine.module.js';

const config = loadConfigOrExit();
const observability = bootObservability('engine', config);
await assertMigrationsApplied(config.DATABASE_URL, { configuredDir: config.MIGRATIONS_DIR });

@Module({ imports: [InfraModule.forRoot(), ReadPoolModule, EngineModule] })
class EngineAppModule {}

const app = await NestFactory.createApplicationContext(EngineAppModule, { logger: observability.nestLogger });
await app.init();
installGracefulShutdown(app, 'engine', config.SHUTDOWN_TIMEOUT_MS);
await observability.serveMetricsIfConfigured();
new Logger('engine').log('engine running');
