import { Module } from '@nestjs/common';
import { ApiModule } from '@app/api';

/** Gateway, engine and quoter capabilities in one process, for a laptop and for the demo. */
@Module({ imports: [ApiModule] })
export class PlatformModule {}
