import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { QuotingModule } from '@app/quoting';
import { ApiKeyRepository } from './auth/api-key.repository.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthService } from './auth/auth.service.js';
import { ConsoleDataController } from './console/console-data.controller.js';
import { ConsoleController } from './console/console.controller.js';
import { HealthController } from './health.controller.js';
import { AccountController, AdminController } from './http/account.controller.js';
import { AdminControlsController } from './http/admin-controls.controller.js';
import { AnalyticsController } from './http/analytics.controller.js';
import { MetricsController } from './http/metrics.controller.js';
import { MakerController, QuotesController } from './http/quotes.controller.js';
import { ReadRepository } from './http/read.repository.js';
import { InstrumentsController, RfqsController } from './http/rfqs.controller.js';
import { WsGateway } from './ws/ws.gateway.js';

/** The public API: REST controllers, the WebSocket gateway, authentication and rate limits. */
@Module({
  imports: [QuotingModule],
  controllers: [
    HealthController,
    MetricsController,
    InstrumentsController,
    RfqsController,
    QuotesController,
    MakerController,
    AccountController,
    AdminController,
    AdminControlsController,
    AnalyticsController,
    ConsoleController,
    ConsoleDataController,
  ],
  providers: [
    ApiKeyRepository,
    AuthService,
    ReadRepository,
    WsGateway,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, ApiKeyRepository, WsGateway],
})
export class ApiModule {}
