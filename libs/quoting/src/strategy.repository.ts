import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository } from '@app/audit';
import { Decimal, dec } from '@app/core';
import { PG_POOL, runInTransaction } from '@app/db';
import type { Pool } from 'pg';

export interface MakerStrategySettings {
  makerId: string;
  enabled: boolean;
  gamma: Decimal;
  k: Decimal;
  horizonSeconds: number;
  baseSpreadTicks: number;
  maxSize: Decimal;
  quoteValiditySeconds: number;
  underlyings: string[];
  volOfVol: Decimal;
  spotVolCorrelation: Decimal;
  requoteThreshold: Decimal;
  hedgeEnabled: boolean;
  hedgeCostBps: Decimal;
  updatedAt: Date;
}

export type StrategyPatch = Partial<Omit<MakerStrategySettings, 'makerId' | 'updatedAt'>>;

const COLUMNS: Record<keyof StrategyPatch, string> = {
  enabled: 'enabled',
  gamma: 'gamma',
  k: 'k',
  horizonSeconds: 'horizon_seconds',
  baseSpreadTicks: 'base_spread_ticks',
  maxSize: 'max_size',
  quoteValiditySeconds: 'quote_validity_seconds',
  underlyings: 'underlyings',
  volOfVol: 'vol_of_vol',
  spotVolCorrelation: 'spot_vol_correlation',
  requoteThreshold: 'requote_threshold',
  hedgeEnabled: 'hedge_enabled',
  hedgeCostBps: 'hedge_cost_bps',
};

interface Row {
  maker_id: string;
  enabled: boolean;
  gamma: string;
  k: string;
  horizon_seconds: number;
  base_spread_ticks: number;
  max_size: string;
  quote_validity_seconds: number;
  underlyings: string[];
  vol_of_vol: string;
  spot_vol_correlation: string;
  requote_threshold: string;
  hedge_enabled: boolean;
  hedge_cost_bps: string;
  updated_at: Date;
}

function toSettings(r: Row): MakerStrategySettings {
  return {
    makerId: r.maker_id,
    enabled: r.enabled,
    gamma: dec(r.gamma),
    k: dec(r.k),
    horizonSeconds: r.horizon_seconds,
    baseSpreadTicks: r.base_spread_ticks,
    maxSize: dec(r.max_size),
    quoteValiditySeconds: r.quote_validity_seconds,
    underlyings: r.underlyings,
    volOfVol: dec(r.vol_of_vol),
    spotVolCorrelation: dec(r.spot_vol_correlation),
    requoteThreshold: dec(r.requote_threshold),
    hedgeEnabled: r.hedge_enabled,
    hedgeCostBps: dec(r.hedge_cost_bps),
    updatedAt: r.updated_at,
  };
}

export function strategyJson(s: MakerStrategySettings) {
  return {
    enabled: s.enabled,
    gamma: s.gamma.toFixed(),
    k: s.k.toFixed(),
    horizonSeconds: s.horizonSeconds,
    baseSpreadTicks: s.baseSpreadTicks,
    maxSize: s.maxSize.toFixed(),
    quoteValiditySeconds: s.quoteValiditySeconds,
    underlyings: s.underlyings,
    volOfVol: s.volOfVol.toFixed(),
    spotVolCorrelation: s.spotVolCorrelation.toFixed(),
    requoteThreshold: s.requoteThreshold.toFixed(),
    hedgeEnabled: s.hedgeEnabled,
    hedgeCostBps: s.hedgeCostBps.toFixed(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** Makers' quoting settings; every change is audited with its before and after. */
@Injectable()
export class StrategyRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly audit: AuditRepository,
  ) {}

  async get(makerId: string): Promise<MakerStrategySettings> {
    await this.pool.query('INSERT INTO maker_strategies (maker_id) VALUES ($1) ON CONFLICT DO NOTHING', [
      makerId,
    ]);
    const { rows } = await this.pool.query<Row>('SELECT * FROM maker_strategies WHERE maker_id = $1', [
      makerId,
    ]);
    return toSettings(rows[0]!);
  }

  /** The maker's settings if it has a row; unlike get(), never creates one (for non-makers too). */
  async find(makerId: string): Promise<MakerStrategySettings | null> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM maker_strategies WHERE maker_id = $1', [
      makerId,
    ]);
    return rows[0] ? toSettings(rows[0]) : null;
  }

  async enabled(): Promise<MakerStrategySettings[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM maker_strategies WHERE enabled ORDER BY maker_id',
    );
    return rows.map(toSettings);
  }

  async update(
    makerId: string,
    patch: StrategyPatch,
    actorId: string,
    correlationId: string | null,
  ): Promise<MakerStrategySettings> {
    await this.get(makerId);
    return runInTransaction(this.pool, async (client) => {
      const before = toSettings(
        (await client.query<Row>('SELECT * FROM maker_strategies WHERE maker_id = $1 FOR UPDATE', [makerId]))
          .rows[0]!,
      );
      const sets: string[] = [];
      const values: unknown[] = [makerId];
      for (const [field, value] of Object.entries(patch) as Array<[keyof StrategyPatch, unknown]>) {
        if (value === undefined) continue;
        const v = value instanceof Decimal ? value.toFixed() : value;
        sets.push(`${COLUMNS[field]} = $${values.push(v)}`);
      }
      if (sets.length === 0) return before;
      const { rows } = await client.query<Row>(
        `UPDATE maker_strategies SET ${sets.join(', ')}, updated_at = now() WHERE maker_id = $1 RETURNING *`,
        values,
      );
      const after = toSettings(rows[0]!);
      await this.audit.append(client, [
        {
          actorId,
          action: 'setting.changed',
          entityType: 'maker_strategy',
          entityId: makerId,
          before: strategyJson(before),
          after: strategyJson(after),
          correlationId,
        },
      ]);
      return after;
    });
  }
}
