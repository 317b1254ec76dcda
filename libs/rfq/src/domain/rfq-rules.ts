import { Decimal, DomainError, dec, isMultipleOf } from '@app/core';

/*
 * Shape rules for an RFQ. Validators return every problem they find (a client fixing a
 * request wants the whole list, each naming its field and leg), and `throwIfProblems` turns a
 * non-empty list into one bad_request DomainError whose code is the first problem's code.
 */

export const MIN_LEGS = 1;
export const MAX_LEGS = 8;
export const MIN_RATIO = 1;
export const MAX_RATIO = 100;

export type RfqRuleCode = 'RFQ.INVALID_LEGS' | 'RFQ.INVALID_QUANTITY' | 'VALIDATION.TICK';

/** A type alias rather than an interface so that it is assignable to core's ErrorDetail. */
export type RuleProblem = {
  code: RfqRuleCode;
  field: string;
  message: string;
  legIndex?: number;
};

export interface LegShape {
  instrumentId: string;
  ratio: Decimal;
}

export interface LegLot {
  ratio: Decimal;
  lotSize: Decimal;
}

export interface LegTick {
  ratio: Decimal;
  tickSize: Decimal;
}

export function isValidRatio(ratio: Decimal): boolean {
  return ratio.isInteger() && ratio.gte(MIN_RATIO) && ratio.lte(MAX_RATIO);
}

/** 1..8 legs, integer ratios 1..100, no instrument twice (two legs on one instrument net out). */
export function validateLegs(legs: readonly LegShape[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (legs.length < MIN_LEGS || legs.length > MAX_LEGS) {
    problems.push({
      code: 'RFQ.INVALID_LEGS',
      field: 'legs',
      message: `an RFQ has ${MIN_LEGS}..${MAX_LEGS} legs, got ${legs.length}`,
    });
  }
  const firstIndexOf = new Map<string, number>();
  legs.forEach((leg, legIndex) => {
    if (!isValidRatio(leg.ratio)) {
      problems.push({
        code: 'RFQ.INVALID_LEGS',
        field: `legs[${legIndex}].ratio`,
        legIndex,
        message: `ratio must be an integer ${MIN_RATIO}..${MAX_RATIO}, got ${leg.ratio.toFixed()}`,
      });
    }
    const first = firstIndexOf.get(leg.instrumentId);
    if (first === undefined) {
      firstIndexOf.set(leg.instrumentId, legIndex);
    } else {
      problems.push({
        code: 'RFQ.INVALID_LEGS',
        field: `legs[${legIndex}].instrumentId`,
        legIndex,
        message: `instrument ${leg.instrumentId} already used by leg ${first}`,
      });
    }
  });
  return problems;
}

/**
 * The structure quantity Q is positive and, on every leg, Q × ratio is a whole number of that
 * instrument's lots, because each leg is booked as its own trade of Q × ratio contracts.
 */
export function validateStructureQuantity(quantity: Decimal, legs: readonly LegLot[]): RuleProblem[] {
  if (!quantity.isFinite() || quantity.lte(0)) {
    return [
      {
        code: 'RFQ.INVALID_QUANTITY',
        field: 'quantity',
        message: `quantity must be positive, got ${quantity.toFixed()}`,
      },
    ];
  }
  const problems: RuleProblem[] = [];
  legs.forEach((leg, legIndex) => {
    const legQuantity = quantity.mul(leg.ratio);
    if (!isMultipleOf(legQuantity, leg.lotSize)) {
      problems.push({
        code: 'RFQ.INVALID_QUANTITY',
        field: 'quantity',
        legIndex,
        message:
          `quantity × ratio = ${legQuantity.toFixed()} on leg ${legIndex} ` +
          `is not a multiple of its lot size ${leg.lotSize.toFixed()}`,
      });
    }
  });
  return problems;
}

/**
 * The price grid of the structure's net price: the smallest tick among its legs. It is the
 * finest increment any leg can be priced in, so a maker may quote any net price a leg could
 * express on its own. The ratios are deliberately not used: a coarser grid (ratio × tick, or a
 * common multiple of the ticks) would forbid net prices that are perfectly tradable once the
 * settlement spreads them over the legs. The price of that choice is that the net price is not
 * always a sum of on-tick leg prices; leg price allocation then lets one leg sit off its tick
 * so that the leg prices still add up exactly (see docs/auction-rules.md).
 */
export function structureTick(legs: readonly LegTick[]): Decimal {
  const [first, ...rest] = legs;
  if (first === undefined) {
    throw new DomainError('RFQ.INVALID_LEGS', 'a structure without legs has no tick', 'bad_request', [
      { field: 'legs', message: 'no legs' },
    ]);
  }
  return rest.reduce((min, leg) => (leg.tickSize.lt(min) ? leg.tickSize : min), first.tickSize);
}

/**
 * The smallest positive decimal quantity Q for which every Q × ratio is a whole number of lots,
 * i.e. the lot of the structure: `validateStructureQuantity(Q)` passes exactly for the
 * multiples of it. Computed exactly in integers: Q must be a multiple of lot_i / ratio_i for
 * every leg, the common multiples of fractions are the multiples of lcm(numerators) /
 * gcd(denominators), and of those multiples the first with a finite decimal expansion is taken
 * (1 lot at ratio 3 gives 1, not 1/3).
 */
export function structureLotSize(legs: readonly LegLot[]): Decimal {
  if (legs.length === 0) {
    throw new DomainError('RFQ.INVALID_LEGS', 'a structure without legs has no lot size', 'bad_request', [
      { field: 'legs', message: 'no legs' },
    ]);
  }
  const scale = Math.max(0, ...legs.map((leg) => leg.lotSize.decimalPlaces()));
  const pow = 10n ** BigInt(scale);
  let numerator = 1n;
  let denominator = 0n;
  legs.forEach((leg, legIndex) => {
    if (!leg.ratio.isInteger() || leg.ratio.lte(0) || leg.lotSize.lte(0)) {
      throw new DomainError(
        'RFQ.INVALID_LEGS',
        `leg ${legIndex} needs a positive integer ratio and lot size`,
        'bad_request',
        [{ field: `legs[${legIndex}]`, legIndex, message: 'invalid ratio or lot size' }],
      );
    }
    const lotUnits = BigInt(leg.lotSize.mul(pow.toString()).toFixed(0));
    const ratioUnits = BigInt(leg.ratio.toFixed(0)) * pow;
    const g = gcd(lotUnits, ratioUnits);
    numerator = lcm(numerator, lotUnits / g);
    denominator = gcd(denominator, ratioUnits / g);
  });
  let finite = 1n;
  let rest = denominator;
  for (const p of [2n, 5n]) {
    while (rest % p === 0n) {
      rest /= p;
      finite *= p;
    }
  }
  return dec(numerator.toString()).div(finite.toString());
}

/** A price is on the grid when it is a whole number of ticks; net prices may be negative. */
export function validatePriceTick(price: Decimal, tick: Decimal, field = 'price'): RuleProblem[] {
  if (price.isFinite() && isMultipleOf(price, tick)) return [];
  return [
    {
      code: 'VALIDATION.TICK',
      field,
      message: `${field} ${price.toFixed()} is not a multiple of the tick ${tick.toFixed()}`,
    },
  ];
}

/** Throws the problems as one bad_request DomainError, coded after the first problem. */
export function throwIfProblems(problems: readonly RuleProblem[]): void {
  const [first] = problems;
  if (first === undefined) return;
  const message =
    problems.length === 1 ? first.message : `${first.message} (and ${problems.length - 1} more)`;
  throw new DomainError(first.code, message, 'bad_request', [...problems]);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}
