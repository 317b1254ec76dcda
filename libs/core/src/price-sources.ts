/**
 * Ports through which settlement and the API read market prices without depending on the
 * market-data capability (which provides them when the process runs it).
 */
export interface InstrumentRef {
  name: string;
  underlying: string;
}

/** Theoretical value per contract, used to split a structure's net price over its legs. */
export interface LegTheoSource {
  theo(instrument: InstrumentRef): number | null;
}
export const LEG_THEO_SOURCE = Symbol('LEG_THEO_SOURCE');

/** Mark price and Greeks for the API; null when market data is missing or stale. */
export interface MarkSource {
  markOf(
    instrument: InstrumentRef,
  ): { price: number; greeks: Record<string, number>; timestamp: number } | null;
}
export const MARK_SOURCE = Symbol('MARK_SOURCE');
