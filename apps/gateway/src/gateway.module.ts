import { Module } from '@nestjs/common';
import { ApiModule } from '@app/api';

/** HTTP + WebSocket face of the platform for takers, makers and admins. */
@Module({ imports: [ApiModule] })
export class GatewayModule {}
