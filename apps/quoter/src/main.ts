import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { installGracefulShutdown, loadConfigOrExit } from '@app/core';
import { assertMigrationsApplied, InfraModule, ReadPoolModule } from '@app/db';
import { bootObservability } from '@app/observability';
import { QuoterModule } from './quoter.module.js';

const config = loadConfigOrExit();
const observability = bootObservability('quoter', config);
await assertMigrationsApplied(config.DATABASE_URL, { configuredDir: config.MIGRATIONS_DIR });

@Module({ imports: [InfraModule.forRoot(), ReadPoolModule, QuoterModule] })
class QuoterAppModule {}

const app = await NestFactory.createApplicationContext(QuoterAppModule, { logger: observability.nestLogger });
await app.init();
installGracefulShutdown(app, 'quoter', config.SHUTDOWN_TIMEOUT_MS);
await observability.serveMetricsIfConfigured();
new Logger('quoter').log('quoter running');
