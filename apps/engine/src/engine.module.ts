import { Module } from '@nestjs/common';
import { AuctionEngineModule, AuctionModule } from '@app/auction';
import { AuditModule, AuditSealerModule } from '@app/audit';
import { EventsModule } from '@app/events';
import { MarketDataModule } from '@app/market-data';
import { QuotingRiskModule } from '@app/quoting';
import { RfqModule } from '@app/rfq';
import { RiskEngineModule, RiskModule } from '@app/risk';
import { SettlementModule } from '@app/settlement';

/** Auction, settlement, expiry timers and the outbox relay. */
@Module({
  imports: [
    AuditModule,
    EventsModule.forRoot({ relay: true }),
    RfqModule,
    MarketDataModule.forRoot({ publish: true }),
    SettlementModule,
    RiskModule,
    RiskEngineModule,
    QuotingRiskModule,
    AuctionModule,
    AuctionEngineModule,
    AuditSealerModule,
  ],
})
export class EngineModule {}
