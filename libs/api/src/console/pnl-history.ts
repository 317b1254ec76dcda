import { Decimal } from '@app/core';

/**
 * A maker's P&L over time, rebuilt from its own ledger: pure, values in, values out.
 *
 * P&L(t) = trading cash(t) + Σ holding_i(t) × price_i(t) × multiplier_i
 *
 * - trading cash and holdings are the running sums of the maker's postings in FILL and HEDGE journal
 *   entries (premiums, fees, hedges; adjustments and deposits are not trading P&L);
 * - the platform keeps no history of marks, so a past point values each instrument at the price the maker
 *   last traded it at (a leg of one of its fills, or one of its hedges) up to that moment;
 * - the last point ("NOW") values the inventory at the live mark, falling back to that last traded price
 *   (and saying so) when the market data is missing or stale.
 *
 * This is the same identity the ledger keeps (realised + unrealised = cash flow + position × mark), net
 * of fees; it is exact at every point for the prices it names, and it is not a mark-to-market history.
 */

export interface LedgerEvent {
  at: Date;
  kind: 'FILL' | 'HEDGE';
  /** Fill or hedge order id. */
  ref: string;
  /** The maker's USDC postings in this entry (premium, fee, hedge cash): + received, − paid. */
  cash: Decimal;
  /** Contracts received (+) or given (−) per instrument name. */
  holdings: ReadonlyMap<string, Decimal>;
  /** Prices per instrument name traded in this entry. */
  prices: ReadonlyMap<string, Decimal>;
}

export interface PnlBaseline {
  /** Trading cash and holdings before the first event (events older than the window). */
  cash: Decimal;
  holdings: ReadonlyMap<string, Decimal>;
  /** Last price the maker traded each of those instruments at, before the window. */
  prices: ReadonlyMap<string, Decimal>;
  /** Number of events before the window. */
  events: number;
}

export interface PnlPoint {
  at: string;
  event: 'START' | 'FILL' | 'HEDGE' | 'NOW';
  ref: string | null;
  cash: string;
  inventoryValue: string;
  pnl: string;
  /** Instruments held but without any price to value them (their value is left out). */
  unpriced: string[];
}

export interface PnlHistory {
  points: PnlPoint[];
  /** Instruments valued at the last traded price at NOW because no live mark was available. */
  staleAtNow: string[];
}

const MONEY_DP = 8;
const money = (d: Decimal) => d.toDecimalPlaces(MONEY_DP).toFixed();

export function buildPnlHistory(input: {
  baseline: PnlBaseline;
  events: readonly LedgerEvent[];
  multipliers: ReadonlyMap<string, Decimal>;
  /** Live mark per unit of underlying; null when unavailable. */
  liveMark: (instrument: string) => Decimal | null;
  now: Date;
}): PnlHistory {
  let cash = input.baseline.cash;
  const holdings = new Map(input.baseline.holdings);
  const prices = new Map(input.baseline.prices);
  const multiplier = (name: string) => input.multipliers.get(name) ?? new Decimal(1);

  const value = (priceOf: (name: string) => Decimal | undefined) => {
    let total = new Decimal(0);
    const unpriced: string[] = [];
    for (const [name, quantity] of holdings) {
      if (quantity.isZero()) continue;
      const price = priceOf(name);
      if (price === undefined) unpriced.push(name);
      else total = total.plus(quantity.mul(price).mul(multiplier(name)));
    }
    return { total, unpriced: unpriced.sort() };
  };
  const point = (
    at: Date,
    event: PnlPoint['event'],
    ref: string | null,
    priceOf = (n: string) => prices.get(n),
  ) => {
    const inventory = value(priceOf);
    return {
      at: at.toISOString(),
      event,
      ref,
      cash: money(cash),
      inventoryValue: money(inventory.total),
      pnl: money(cash.plus(inventory.total)),
      unpriced: inventory.unpriced,
    };
  };

  const points: PnlPoint[] = [];
  const first = input.events[0];
  if (first) points.push(point(new Date(first.at.getTime() - 1), 'START', null));
  for (const e of input.events) {
    cash = cash.plus(e.cash);
    for (const [name, q] of e.holdings) holdings.set(name, (holdings.get(name) ?? new Decimal(0)).plus(q));
    for (const [name, p] of e.prices) prices.set(name, p);
    points.push(point(e.at, e.kind, e.ref));
  }
  const staleAtNow: string[] = [];
  points.push(
    point(input.now, 'NOW', null, (name) => {
      const live = input.liveMark(name);
      if (live !== null) return live;
      const last = prices.get(name);
      if (last !== undefined) staleAtNow.push(name);
      return last;
    }),
  );
  return { points, staleAtNow: staleAtNow.sort() };
}
