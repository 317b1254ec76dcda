import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, register } from 'prom-client';
import { Public } from '../auth/auth.guard.js';

collectDefaultMetrics({ register });

/** Prometheus scrape endpoint (unauthenticated, as scrapers expect; bind it to a private network). */
@ApiExcludeController()
@Controller()
export class MetricsController {
  @Get('metrics')
  @Public()
  @Header('content-type', register.contentType)
  async metrics(): Promise<string> {
    return register.metrics();
  }
}
