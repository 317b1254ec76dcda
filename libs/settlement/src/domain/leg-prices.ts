import { Decimal, DomainError, roundToStep } from '@app/core';
import { sideSign, type Side } from '@app/rfq';

export interface LegPriceInput {
  /** The leg's side as the RFQ states it (the side of the structure's buyer). */
  side: Side;
  ratio: Decimal;
  /** Theoretical value per contract; only a weight, hence a plain number. */
  theo: number;
  tickSize: Decimal;
}

export interface AllocateLegPricesInput {
  /** Net price of buying one structure: Σ s_i · ratio_i · p_i, may be negative. */
  netPrice: Decimal;
  legs: readonly LegPriceInput[];
  /** Decimals a leg price may carry (the trades table stores 8). */
  priceScale?: number;
}

export const LEG_PRICE_SCALE = 8;

/** Largest residual, in price units, left to the exact search after the greedy pass. */
const SEARCH_BOUND = 10_000;

interface WorkLeg {
  index: number;
  sign: bigint;
  ratio: bigint;
  units: bigint;
}

/**
 * Splits a structure's net price into per-leg prices p_i ≥ 0 with Σ s_i · ratio_i · p_i equal
 * to the net price exactly, s_i = +1 for a BUY leg and -1 for a SELL leg.
 *
 * 1. Start from the theoretical values (negative ones count as 0).
 * 2. Spread the gap between the net price and the theoretical net over the legs in proportion to
 *    ratio_i · |theo_i| (equally when every theo is 0): each leg moves by the same fraction of its
 *    own value, in the direction that moves the net price towards the target.
 * 3. Round each leg to its tick, never below 0.
 * 4. Put the rounding residual on the largest leg (largest ratio_i · p_i); what that leg cannot
 *    take without going negative, or cannot take exactly because its ratio does not divide the
 *    residual, goes to the next largest, and so on.
 * 5. A residual smaller than the ratios (possible only when no leg has ratio 1) is settled by the
 *    fewest one-unit moves (10^-priceScale) across legs that cancel it, without going below 0.
 *
 * Exactness wins over the tick grid: the legs that absorb the residual may be off their tick by
 * less than one tick. It throws SETTLEMENT.PRICE_NOT_ALLOCATABLE when no non-negative prices at
 * that scale exist: every leg bought and a negative net price (or every leg sold and a positive
 * one), or ratios whose common factor does not divide the net price in units of 10^-priceScale.
 */
export function allocateLegPrices(input: AllocateLegPricesInput): Decimal[] {
  const { netPrice, legs } = input;
  const priceScale = input.priceScale ?? LEG_PRICE_SCALE;
  validate(input, priceScale);

  if (legs.every((l) => l.side === 'BUY') && netPrice.lt(0)) {
    throw notAllocatable(
      `a structure of bought legs cannot have the negative net price ${netPrice.toFixed()}`,
    );
  }
  if (legs.every((l) => l.side === 'SELL') && netPrice.gt(0)) {
    throw notAllocatable(`a structure of sold legs cannot have the positive net price ${netPrice.toFixed()}`);
  }

  const theos = legs.map((l) => new Decimal(l.theo));
  const starts = theos.map((t) => Decimal.max(t, 0));
  const theoNet = legs.reduce(
    (sum, l, i) => sum.plus(l.ratio.mul(at(starts, i)).mul(sideSign(l.side))),
    new Decimal(0),
  );
  const gap = netPrice.minus(theoNet);
  const allZero = theos.every((t) => t.isZero());
  const weights = legs.map((l, i) => (allZero ? new Decimal(1) : l.ratio.mul(at(theos, i).abs())));
  const totalWeight = weights.reduce((a, b) => a.plus(b), new Decimal(0));

  const rounded = legs.map((leg, i) => {
    // This leg's share of the gap is in net-price terms; divide by the ratio to get a leg price.
    const share = gap.mul(at(weights, i)).div(totalWeight);
    const price = at(starts, i).plus(share.div(leg.ratio).mul(sideSign(leg.side)));
    return Decimal.max(roundToStep(price, leg.tickSize, 'nearest'), 0);
  });

  // From here on integers in units of 10^-scale: no rounding can creep into the residual.
  const scale = Math.max(
    priceScale,
    netPrice.decimalPlaces(),
    ...legs.map((l) => l.tickSize.decimalPlaces()),
  );
  const pow = new Decimal(10).pow(scale);
  const toUnits = (x: Decimal): bigint => BigInt(x.mul(pow).toFixed(0));
  const work: WorkLeg[] = legs.map((leg, index) => ({
    index,
    sign: BigInt(sideSign(leg.side)),
    ratio: BigInt(leg.ratio.toFixed(0)),
    units: toUnits(at(rounded, index)),
  }));
  let residual = work.reduce((r, l) => r - l.sign * l.ratio * l.units, toUnits(netPrice));

  const bySize = [...work].sort((a, b) => {
    const bySizeDesc = compareBig(b.ratio * b.units, a.ratio * a.units);
    return bySizeDesc !== 0 ? bySizeDesc : a.index - b.index;
  });
  for (const leg of bySize) {
    if (residual === 0n) break;
    // Moving this leg by `delta` units changes the net by sign · ratio · delta = ratio · q.
    let q = residual / leg.ratio;
    if (q === 0n) continue;
    let delta = leg.sign * q;
    if (leg.units + delta < 0n) {
      delta = -leg.units;
      q = leg.sign * delta;
    }
    leg.units += delta;
    residual -= leg.ratio * q;
  }
  if (residual !== 0n) settleSmallResidual(work, residual);

  return work.map((l) => new Decimal(l.units.toString()).div(pow));
}

/**
 * Breadth-first search over the residual value for the fewest one-unit leg moves that bring it
 * to zero. A shortest path moves a leg down only a few units, so any leg above 0 may move down;
 * a leg the path would push below 0 is then barred from moving down and the search reruns.
 */
function settleSmallResidual(work: WorkLeg[], residual: bigint): void {
  const bound = BigInt(SEARCH_BOUND);
  if (residual > bound || residual < -bound) {
    throw notAllocatable(`no non-negative leg prices absorb a residual of ${residual} price units`);
  }
  const barred = new Set<WorkLeg>();
  for (let attempt = 0; attempt <= work.length; attempt++) {
    const path = shortestMoves(work, Number(residual), (leg) => leg.units > 0n && !barred.has(leg));
    if (path === null) break;
    const downs = new Map<WorkLeg, bigint>();
    for (const move of path) if (move.dir < 0n) downs.set(move.leg, (downs.get(move.leg) ?? 0n) + 1n);
    const overdrawn = [...downs].filter(([leg, n]) => n > leg.units).map(([leg]) => leg);
    if (overdrawn.length === 0) {
      for (const move of path) move.leg.units += move.dir;
      return;
    }
    for (const leg of overdrawn) barred.add(leg);
  }
  throw notAllocatable(`the leg ratios cannot express a residual of ${residual} price units exactly`);
}

interface Move {
  leg: WorkLeg;
  dir: bigint;
  /** Change of the residual when the move is made. */
  step: number;
}

function shortestMoves(
  work: readonly WorkLeg[],
  residual: number,
  mayGoDown: (leg: WorkLeg) => boolean,
): Move[] | null {
  const moves: Move[] = [];
  for (const leg of work) {
    const step = Number(leg.sign * leg.ratio);
    moves.push({ leg, dir: 1n, step: -step });
    if (mayGoDown(leg)) moves.push({ leg, dir: -1n, step });
  }
  const size = 2 * SEARCH_BOUND + 1;
  const parent = new Int32Array(size).fill(-1);
  const via = new Int32Array(size).fill(-1);
  const start = residual + SEARCH_BOUND;
  const goal = SEARCH_BOUND;
  parent[start] = start;
  const queue = [start];
  for (let head = 0; head < queue.length && parent[goal] === -1; head++) {
    const state = queue[head] ?? start;
    moves.forEach((move, m) => {
      const next = state + move.step;
      if (next < 0 || next >= size || parent[next] !== -1) return;
      parent[next] = state;
      via[next] = m;
      queue.push(next);
    });
  }
  if (parent[goal] === -1) return null;
  const path: Move[] = [];
  for (let state = goal; state !== start; state = parent[state] ?? start) {
    const move = moves[via[state] ?? -1];
    if (move !== undefined) path.push(move);
  }
  return path;
}

function validate(input: AllocateLegPricesInput, priceScale: number): void {
  const problems: { field: string; message: string }[] = [];
  if (input.legs.length === 0) problems.push({ field: 'legs', message: 'no legs' });
  if (!Number.isInteger(priceScale) || priceScale < 0)
    problems.push({ field: 'priceScale', message: 'not a scale' });
  if (!input.netPrice.isFinite()) problems.push({ field: 'netPrice', message: 'not finite' });
  input.legs.forEach((leg, i) => {
    if (!leg.ratio.isInteger() || leg.ratio.lte(0)) {
      problems.push({ field: `legs[${i}].ratio`, message: 'must be a positive integer' });
    }
    if (!Number.isFinite(leg.theo)) problems.push({ field: `legs[${i}].theo`, message: 'must be finite' });
    if (!leg.tickSize.isFinite() || leg.tickSize.lte(0)) {
      problems.push({ field: `legs[${i}].tickSize`, message: 'must be positive' });
    }
  });
  if (problems.length > 0) {
    throw new DomainError('SETTLEMENT.INVALID_LEGS', 'cannot allocate leg prices', 'bad_request', problems);
  }
}

function notAllocatable(message: string): DomainError {
  return new DomainError('SETTLEMENT.PRICE_NOT_ALLOCATABLE', message, 'unprocessable', [
    { field: 'netPrice', message },
  ]);
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined) throw new RangeError(`index ${index} out of range`);
  return value;
}
