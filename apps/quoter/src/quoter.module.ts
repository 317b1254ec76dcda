import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { EventsModule } from '@app/events';
import { MarketDataModule } from '@app/market-data';
import { QuoterWorkersModule, QuotingModule } from '@app/quoting';
import { RfqModule } from '@app/rfq';
import { RiskModule } from '@app/risk';
import { SettlementModule } from '@app/settlement';

/**
 * The built-in market makers: rfq-broadcast and hedge workers, the requote loop, reading market data
 * from Redis (the engine publishes it). InfraModule is added by main.ts.
 */
@Module({
  imports: [
    AuditModule,
    EventsModule.forRoot({ relay: false }),
    RfqModule,
    SettlementModule,
    RiskModule,
    MarketDataModule.forRoot({ publish: false }),
    QuotingModule,
    QuoterWorkersModule,
  ],
})
export class QuoterModule {}
