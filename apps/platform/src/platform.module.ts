import { Module } from '@nestjs/common';
import { ApiModule } from '@app/api';
import { AuctionEngineModule, AuctionModule } from '@app/auction';
import { AuditModule, AuditSealerModule } from '@app/audit';
import { EventsModule } from '@app/events';
import { MarketDataModule } from '@app/market-data';
import { QuoterWorkersModule } from '@app/quoting';
import { RfqModule } from '@app/rfq';
import { RiskEngineModule, RiskModule } from '@app/risk';
import { SettlementModule } from '@app/settlement';
import { DemoTakerService } from './demo-taker.service.js';

/** Gateway, engine and quoter capabilities in one process, for a laptop and for the demo. */
@Module({
  imports: [
    AuditModule,
    EventsModule.forRoot({ relay: true }),
    RfqModule,
    MarketDataModule.forRoot({ publish: true }),
    SettlementModule,
    RiskModule,
    RiskEngineModule,
    AuctionModule,
    AuctionEngineModule,
    AuditSealerModule,
    ApiModule,
    QuoterWorkersModule,
  ],
  providers: [DemoTakerService],
})
export class PlatformModule {}
