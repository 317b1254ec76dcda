import { Controller, Get, Res } from '@nestjs/common';
import { HealthService } from '@app/db';
import { Public } from './auth/auth.guard.js';
import type { FastifyReply } from 'fastify';

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  @Public()
  async get(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await this.health.check();
    void reply.status(report.status === 'down' ? 503 : 200);
    return report;
  }
}
