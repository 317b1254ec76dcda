import { Module } from '@nestjs/common';
import { ApiModule } from '@app/api';
import { AuctionModule } from '@app/auction';
import { AuditModule } from '@app/audit';
import { EventsModule } from '@app/events';
import { MarketDataModule } from '@app/market-data';
import { RfqModule } from '@app/rfq';
import { RiskModule } from '@app/risk';
import { SettlementModule } from '@app/settlement';

/** HTTP + WebSocket face of the platform for takers, makers and admins. */
@Module({
  imports: [
    AuditModule,
    EventsModule.forRoot({ relay: false }),
    RfqModule,
    MarketDataModule.forRoot({ publish: false }),
    SettlementModule,
    RiskModule,
    AuctionModule,
    ApiModule,
  ],
})
export class GatewayModule {}
