import { Global, Module } from '@nestjs/common';
import { ControlsService } from './controls.service.js';
import { RiskGates } from './risk-gates.js';

/** Kill switches and pre-trade checks; import it wherever RFQs, quotes or fills are written. */
@Global()
@Module({ providers: [ControlsService, RiskGates], exports: [ControlsService] })
export class RiskModule {}
