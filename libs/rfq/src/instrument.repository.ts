import { Injectable, OnModuleInit } from '@nestjs/common';
import { Decimal, dec } from '@app/core';
import { PrismaService } from '@app/db';

export interface InstrumentInfo {
  id: string;
  name: string;
  kind: 'OPTION' | 'FUTURE' | 'PERPETUAL';
  underlying: string;
  expiry: Date | null;
  strike: Decimal | null;
  optionType: 'CALL' | 'PUT' | null;
  tickSize: Decimal;
  lotSize: Decimal;
  multiplier: Decimal;
  active: boolean;
}

const REFRESH_MS = 30_000;

/**
 * Instruments are reference data read on every RFQ and quote: held in memory and refreshed
 * periodically (and on a miss), so the hot paths never query them.
 */
@Injectable()
export class InstrumentRepository implements OnModuleInit {
  private byName = new Map<string, InstrumentInfo>();
  private byId = new Map<string, InstrumentInfo>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly prisma: PrismaService) {}

  // Loaded before the first request, so no caller inside a transaction waits for the first load.
  async onModuleInit(): Promise<void> {
    await this.reload();
  }

  async findByName(name: string): Promise<InstrumentInfo | undefined> {
    await this.ensureFresh();
    if (!this.byName.has(name)) await this.reload();
    return this.byName.get(name);
  }

  async findById(id: string): Promise<InstrumentInfo | undefined> {
    await this.ensureFresh();
    if (!this.byId.has(id)) await this.reload();
    return this.byId.get(id);
  }

  async all(): Promise<InstrumentInfo[]> {
    await this.ensureFresh();
    return [...this.byName.values()];
  }

  // Callers run inside open transactions: waiting there for a refresh that needs another pooled
  // connection let enough concurrent transactions exhaust the pool and hang. Only the first load
  // (and a genuine miss) waits; a stale cache is served while it refreshes in the background.
  private async ensureFresh(): Promise<void> {
    if (this.loadedAt === 0) return this.reload();
    if (Date.now() - this.loadedAt > REFRESH_MS) void this.reload().catch(() => undefined);
  }

  private reload(): Promise<void> {
    this.loading ??= this.prisma.instrument
      .findMany({ orderBy: { name: 'asc' } })
      .then((rows) => {
        const byName = new Map<string, InstrumentInfo>();
        const byId = new Map<string, InstrumentInfo>();
        for (const r of rows) {
          const info: InstrumentInfo = {
            id: r.id,
            name: r.name,
            kind: r.kind,
            underlying: r.underlying,
            expiry: r.expiry,
            strike: r.strike === null ? null : dec(r.strike),
            optionType: r.optionType,
            tickSize: dec(r.tickSize),
            lotSize: dec(r.lotSize),
            multiplier: dec(r.contractMultiplier),
            active: r.active,
          };
          byName.set(r.name, info);
          byId.set(r.id, info);
        }
        this.byName = byName;
        this.byId = byId;
        this.loadedAt = Date.now();
      })
      .finally(() => (this.loading = null));
    return this.loading;
  }
}
