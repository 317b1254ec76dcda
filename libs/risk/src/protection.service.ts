import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DomainError, MARK_SOURCE, dec } from '@app/core';
import type { MarkSource } from '@app/core';
import { PG_POOL } from '@app/db';
import { InstrumentRepository, QuoteService } from '@app/rfq';
import type { Pool } from 'pg';
import { ControlsService } from './controls.service.js';

interface ProtectionRow {
  maker_id: string;
  underlying: string;
  interval_seconds: number;
  max_fills: number | null;
  max_quantity: string | null;
  max_abs_delta: string | null;
  max_abs_vega: string | null;
  freeze_seconds: number | null;
}

export interface ProtectionTrip {
  makerId: string;
  underlying: string;
  measure: 'fills' | 'quantity' | 'delta' | 'vega';
  value: number;
  limit: number;
}

/**
 * Market maker protection: after each of a maker's fills, the fills, quantity, and absolute delta
 * and vega it took within its rolling interval are compared with its settings (per underlying, or
 * "*" for all). A trip pulls all its live quotes at once and freezes it for the configured time
 * (or until an admin unfreezes it); the maker is told on its socket.
 */
@Injectable()
export class ProtectionService {
  private readonly logger = new Logger(ProtectionService.name);

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly controls: ControlsService,
    private readonly quotes: QuoteService,
    private readonly instruments: InstrumentRepository,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  async evaluate(makerId: string, now = new Date()): Promise<ProtectionTrip | null> {
    const { rows: settings } = await this.pool.query<ProtectionRow>(
      'SELECT * FROM maker_protections WHERE maker_id = $1',
      [makerId],
    );
    for (const s of settings) {
      const since = new Date(now.getTime() - s.interval_seconds * 1000);
      const { rows: trades } = await this.pool.query<{
        fill_id: string;
        fill_quantity: string;
        instrument_id: string;
        side: 'BUY' | 'SELL';
        quantity: string;
      }>(
        `SELECT f.id AS fill_id, f.quantity::text AS fill_quantity, t.instrument_id, t.side, t.quantity::text
           FROM fills f JOIN trades t ON t.fill_id = f.id
          WHERE f.maker_id = $1 AND f.created_at > $2`,
        [makerId, since],
      );
      const fills = new Map<string, number>();
      let delta = 0;
      let vega = 0;
      for (const t of trades) {
        const instrument = await this.instruments.findById(t.instrument_id);
        if (!instrument || (s.underlying !== '*' && instrument.underlying !== s.underlying)) continue;
        fills.set(t.fill_id, Number(t.fill_quantity));
        // The taker's side on the leg: the maker took the opposite.
        const makerQty = (t.side === 'BUY' ? -1 : 1) * Number(t.quantity);
        const greeks = this.marks?.markOf(instrument)?.greeks;
        delta +=
          makerQty * (greeks?.delta ?? (instrument.kind === 'OPTION' ? 0 : instrument.multiplier.toNumber()));
        vega += makerQty * (greeks?.vegaPerPoint ?? 0);
      }
      const quantity = [...fills.values()].reduce((a, b) => a + b, 0);
      const checks: Array<[ProtectionTrip['measure'], number, string | number | null]> = [
        ['fills', fills.size, s.max_fills],
        ['quantity', quantity, s.max_quantity],
        ['delta', Math.abs(delta), s.max_abs_delta],
        ['vega', Math.abs(vega), s.max_abs_vega],
      ];
      for (const [measure, value, limit] of checks) {
        if (limit === null || value <= Number(limit)) continue;
        const trip: ProtectionTrip = {
          makerId,
          underlying: s.underlying,
          measure,
          value,
          limit: Number(limit),
        };
        await this.trip(trip, s.freeze_seconds, now);
        return trip;
      }
    }
    return null;
  }

  private async trip(trip: ProtectionTrip, freezeSeconds: number | null, now: Date): Promise<void> {
    const reason = `market maker protection: ${trip.measure} ${dec(trip.value).toDecimalPlaces(4).toFixed()} over ${trip.limit} (${trip.underlying})`;
    await this.controls.set(
      {
        scope: 'ACCOUNT',
        target: trip.makerId,
        frozen: true,
        reason,
        until: freezeSeconds ? new Date(now.getTime() + freezeSeconds * 1000) : null,
      },
      null,
      null,
    );
    try {
      await this.quotes.cancelAll(
        { accountId: trip.makerId, role: 'MAKER', correlationId: null },
        { reason: 'market maker protection' },
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
    this.logger.warn(`${trip.makerId}: ${reason}`);
  }
}
