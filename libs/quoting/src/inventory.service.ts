import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BusEvent, EventBus, RecentIds } from '@app/events';
import { MarketDataService, type MarketSnapshot } from '@app/market-data';
import type { FactorExposure } from '@app/pricing';
import { type InstrumentInfo, InstrumentRepository } from '@app/rfq';
import { riskAt } from './market-view.js';
import { type PositionRow, QuotingRepository } from './quoting.repository.js';
import { buildRiskReport, type RiskReport } from './risk-report.js';
import { aggregateRisk, type Holding, type UnderlyingExposure } from './risk-measures.js';

export interface HeldPosition extends PositionRow {
  instrument: InstrumentInfo;
}

/** A book's risk on some underlyings, valued on fresh market data. */
export interface InventoryRisk {
  /** The inventory version the positions were read at (see InventoryService.version). */
  version: number;
  byUnderlying: Record<string, UnderlyingExposure>;
  exposures: FactorExposure[];
  /** Signed contracts by instrument name. */
  quantities: Record<string, number>;
}

/**
 * Backstop for an invalidation lost on the bus (Redis pub/sub is not durable): positions are re-read at
 * least this often while they are in use.
 */
const POSITIONS_TTL_MS = 5_000;

/**
 * Makers' inventories: positions from the ledger's read model, valued at mark on demand. Positions are
 * cached per account and dropped on the account's fills and hedges (the relayed `fill.booked` and
 * `hedge.booked` events reach every process over the event bus); valuations are not cached since every
 * snapshot changes them and they cost microseconds.
 */
@Injectable()
export class InventoryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InventoryService.name);
  private readonly cache = new Map<string, { loadedAt: number; rows: Promise<HeldPosition[]> }>();
  private readonly versions = new Map<string, number>();
  private readonly seen = new RecentIds();
  private readonly listeners = new Set<(accountId: string) => void>();
  // Last valuation per (account, underlyings): every quote of a maker in one requote pass shares it.
  private readonly valued = new Map<string, { key: string; risk: Promise<InventoryRisk> }>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly repo: QuotingRepository,
    private readonly instruments: InstrumentRepository,
    private readonly market: MarketDataService,
    private readonly bus: EventBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe((event) => this.onEvent(event));
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onEvent(event: BusEvent): void {
    // A repeat of an event (early push, then the relay) would invalidate and requote twice.
    if (!this.seen.firstSight(event.id)) return;
    const p = event.payload;
    if (event.type === 'fill.booked') {
      for (const id of [p.makerId, p.takerId]) if (typeof id === 'string') this.invalidate(id);
    } else if (event.type === 'hedge.booked' && typeof p.makerId === 'string') {
      this.invalidate(p.makerId);
    }
  }

  /** Increases with every invalidation of the account: a quote priced at an older version is out of date. */
  version(accountId: string): number {
    return this.versions.get(accountId) ?? 0;
  }

  invalidate(accountId: string): void {
    this.cache.delete(accountId);
    for (const key of this.valued.keys()) if (key.startsWith(`${accountId}|`)) this.valued.delete(key);
    this.versions.set(accountId, this.version(accountId) + 1);
    for (const listener of this.listeners) {
      try {
        listener(accountId);
      } catch (error) {
        this.logger.warn(`inventory listener: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** Called after an account's inventory changed; returns the unsubscribe function. */
  onChange(listener: (accountId: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The account's positions with their instruments (cached). */
  positions(accountId: string): Promise<HeldPosition[]> {
    const cached = this.cache.get(accountId);
    if (cached && Date.now() - cached.loadedAt < POSITIONS_TTL_MS) return cached.rows;
    const rows = this.load(accountId);
    const entry = { loadedAt: Date.now(), rows };
    this.cache.set(accountId, entry);
    // A failed read must not stay cached.
    rows.catch(() => {
      if (this.cache.get(accountId) === entry) this.cache.delete(accountId);
    });
    return rows;
  }

  private async load(accountId: string): Promise<HeldPosition[]> {
    const rows = await this.repo.positions(this.repo.db, accountId);
    const out: HeldPosition[] = [];
    for (const r of rows) {
      const instrument = await this.instruments.findById(r.instrumentId);
      if (instrument) out.push({ ...r, instrument });
    }
    return out;
  }

  /**
   * Exposures on `underlyings` valued on fresh data (throws MARKET_DATA.STALE otherwise: the caller checks
   * freshness first and does not quote on stale data).
   */
  riskFor(accountId: string, underlyings: readonly string[], now = new Date()): Promise<InventoryRisk> {
    const names = [...underlyings].sort().join(',');
    // Same positions (version) and same snapshots: the valuation cannot differ beyond time decay.
    const key = `${this.version(accountId)}|${[...underlyings]
      .sort()
      .map((u) => this.market.fresh(u, now.getTime()).timestamp)
      .join(',')}`;
    const cached = this.valued.get(`${accountId}|${names}`);
    if (cached?.key === key) return cached.risk;
    const risk = this.value(accountId, underlyings, now);
    const entry = { key, risk };
    this.valued.set(`${accountId}|${names}`, entry);
    risk.catch(() => {
      if (this.valued.get(`${accountId}|${names}`) === entry) this.valued.delete(`${accountId}|${names}`);
    });
    return risk;
  }

  private async value(accountId: string, underlyings: readonly string[], now: Date): Promise<InventoryRisk> {
    const version = this.version(accountId);
    const wanted = new Set(underlyings);
    const positions = (await this.positions(accountId)).filter(
      (p) => wanted.has(p.instrument.underlying) && !p.quantity.isZero(),
    );
    const spots: Record<string, number> = {};
    for (const u of wanted) spots[u] = this.market.fresh(u, now.getTime()).spot;
    const holdings: Holding[] = positions.map((p) => ({
      quantity: p.quantity.toNumber(),
      risk: riskAt(this.market.fresh(p.instrument.underlying, now.getTime()), p.instrument, now),
    }));
    const risk = aggregateRisk(holdings, spots);
    return {
      version,
      byUnderlying: risk.byUnderlying,
      exposures: risk.exposures,
      quantities: Object.fromEntries(positions.map((p) => [p.instrument.name, p.quantity.toNumber()])),
    };
  }

  /**
   * Positions at mark, Greeks, P&L and stress for GET /v1/risk. Values against the latest data even when
   * stale (each underlying says whether it is fresh), so a maker sees its book during a feed outage.
   */
  async riskReport(accountId: string, now = new Date()): Promise<RiskReport> {
    const positions = await this.positions(accountId);
    const snapshots: Record<string, MarketSnapshot | undefined> = {};
    const fresh: Record<string, boolean> = {};
    for (const p of positions) {
      const u = p.instrument.underlying;
      snapshots[u] = this.market.latest(u);
      fresh[u] = this.market.isFresh(u, now.getTime());
    }
    return buildRiskReport({ accountId, positions, snapshots, fresh, now });
  }
}
