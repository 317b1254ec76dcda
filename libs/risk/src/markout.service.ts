import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { MARK_SOURCE, MarkoutJob, QUEUES, dec } from '@app/core';
import type { MarkSource } from '@app/core';
import { PG_POOL } from '@app/db';
import { InstrumentRepository } from '@app/rfq';
import { Queue } from 'bullmq';
import type { Pool } from 'pg';

export const MARKOUT_HORIZONS = [1, 10, 60] as const;

/**
 * Markouts: the structure's theoretical value at booking and 1 s, 10 s and 60 s later, from the
 * taker's side (+ = the market moved the taker's way, i.e. against the maker).
 */
@Injectable()
export class MarkoutService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly instruments: InstrumentRepository,
    @InjectQueue(QUEUES.analytics) private readonly queue: Queue<MarkoutJob>,
    @Optional() @Inject(MARK_SOURCE) private readonly marks: MarkSource | null,
  ) {}

  async onFill(fillId: string): Promise<void> {
    await this.record(fillId, 0);
    await this.queue.addBulk(
      MARKOUT_HORIZONS.map((h) => ({
        name: 'markout',
        data: { fillId, horizonSeconds: h },
        opts: {
          jobId: `markout-${fillId}-${h}`,
          delay: h * 1000,
          removeOnComplete: true,
          removeOnFail: 1_000,
          attempts: 3,
        },
      })),
    );
  }

  /** Theo of the structure per unit (Σ ± ratio × mark) now; skipped when a leg has no fresh mark. */
  async record(fillId: string, horizonSeconds: number): Promise<void> {
    const { rows } = await this.pool.query<{
      side: 'BUY' | 'SELL';
      quantity: string;
      price: string;
      leg_side: 'BUY' | 'SELL';
      ratio: string;
      instrument_id: string;
    }>(
      `SELECT f.side, f.quantity::text, f.price::text, l.side AS leg_side, l.ratio::text, l.instrument_id
         FROM fills f JOIN rfq_legs l ON l.rfq_id = f.rfq_id WHERE f.id = $1 ORDER BY l.leg_index`,
      [fillId],
    );
    if (rows.length === 0 || !this.marks) return;
    let theo = 0;
    for (const r of rows) {
      const instrument = await this.instruments.findById(r.instrument_id);
      const mark = instrument ? this.marks.markOf(instrument) : null;
      if (!instrument || !mark) return;
      theo +=
        (r.leg_side === 'BUY' ? 1 : -1) * Number(r.ratio) * mark.price * instrument.multiplier.toNumber();
    }
    const first = rows[0]!;
    const sign = first.side === 'BUY' ? 1 : -1;
    const theoDec = dec(theo).toDecimalPlaces(8);
    const markout = theoDec.minus(dec(first.price)).mul(sign).mul(dec(first.quantity));
    await this.pool.query(
      `INSERT INTO fill_markouts (fill_id, horizon_seconds, theo, taker_markout) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [fillId, horizonSeconds, theoDec.toFixed(), markout.toDecimalPlaces(8).toFixed()],
    );
  }
}
