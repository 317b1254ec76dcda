import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { countWsConnectionsWith, METRICS_CONTENT_TYPE, renderMetrics } from '@app/observability';
import { Public } from '../auth/auth.guard.js';
import { WsGateway } from '../ws/ws.gateway.js';

/**
 * Prometheus scrape endpoint (unauthenticated, as scrapers expect; bind it to a private network or
 * block /metrics at the load balancer). Every metric is listed in docs/operations.md.
 */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(ws: WsGateway) {
    countWsConnectionsWith(() => ws.connectionCount);
  }

  @Get('metrics')
  @Public()
  @Header('content-type', METRICS_CONTENT_TYPE)
  async metrics(): Promise<string> {
    return renderMetrics();
  }
}
