import { BullModule } from '@nestjs/bullmq';
import { Module, OnModuleInit } from '@nestjs/common';
import { QUEUES } from '@app/core';
import { HedgeBookingRepository, SettlementService } from '@app/settlement';
import { AutoQuoteService } from './auto-quote.service.js';
import { HedgeProcessor } from './hedge.processor.js';
import { HedgerService } from './hedger.service.js';
import { InventoryService } from './inventory.service.js';
import { QuotePricingService } from './quote-pricing.service.js';
import { QuotingMetrics } from './quoting-metrics.service.js';
import { QuotingRepository } from './quoting.repository.js';
import { RequoteService } from './requote.service.js';
import { RfqBroadcastProcessor } from './rfq-broadcast.processor.js';
import { RiskLimitGate } from './risk-limit.gate.js';
import { StrategyRepository } from './strategy.repository.js';

// One registration per SettlementService, however many modules pull the gate in.
const gated = new WeakSet<SettlementService>();

/**
 * The hard-limit gate at settlement. Import it wherever fills are booked (gateway, engine, platform);
 * needs SettlementModule and RfqModule, and MarketDataModule for Greeks (without it, or on stale data,
 * only linear delta is checked).
 */
@Module({ providers: [QuotingRepository, RiskLimitGate], exports: [QuotingRepository, RiskLimitGate] })
export class QuotingRiskModule implements OnModuleInit {
  constructor(
    private readonly settlement: SettlementService,
    private readonly gate: RiskLimitGate,
  ) {}

  onModuleInit(): void {
    if (gated.has(this.settlement)) return;
    gated.add(this.settlement);
    this.settlement.addGate(this.gate);
  }
}

const SERVICES = [
  StrategyRepository,
  InventoryService,
  QuotePricingService,
  AutoQuoteService,
  HedgeBookingRepository,
  HedgerService,
  QuotingMetrics,
];

/**
 * Inventory valuation and risk report, strategy pricing, hedging and the limit gate: no workers. Needs
 * AuditModule, EventsModule, RfqModule, SettlementModule and MarketDataModule.
 */
@Module({
  imports: [QuotingRiskModule],
  providers: SERVICES,
  exports: [QuotingRiskModule, ...SERVICES],
})
export class QuotingModule {}

/** The quoter's workers: rfq-broadcast and hedge processors and the requote loop. */
@Module({
  imports: [QuotingModule, BullModule.registerQueue({ name: QUEUES.rfqBroadcast }, { name: QUEUES.hedge })],
  providers: [RfqBroadcastProcessor, HedgeProcessor, RequoteService],
  exports: [RequoteService],
})
export class QuoterWorkersModule {}
