import type { InstrumentInfo } from '@app/rfq';

/** Marks and Greeks for the API (market data, when the process has it). */
export interface MarkSource {
  markOf(
    instrument: InstrumentInfo,
  ): { price: number; greeks: Record<string, number>; timestamp: number } | null;
}
export const MARK_SOURCE = Symbol('MARK_SOURCE');
