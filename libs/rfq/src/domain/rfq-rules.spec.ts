import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { DomainError, dec, isMultipleOf } from '@app/core';
import {
  structureLotSize,
  structureTick,
  throwIfProblems,
  validateLegs,
  validatePriceTick,
  validateStructureQuantity,
} from './rfq-rules.js';

const leg = (instrumentId: string, ratio: string | number) => ({ instrumentId, ratio: dec(ratio) });

describe('validateLegs', () => {
  it('accepts 1..8 legs with integer ratios 1..100', () => {
    expect(validateLegs([leg('A', 1)])).toEqual([]);
    expect(validateLegs([leg('A', 1), leg('B', 2), leg('C', 100)])).toEqual([]);
    expect(validateLegs(Array.from({ length: 8 }, (_, i) => leg(`I${i}`, 1)))).toEqual([]);
  });

  it('refuses no legs and more than 8', () => {
    expect(validateLegs([])).toMatchObject([{ code: 'RFQ.INVALID_LEGS', field: 'legs' }]);
    expect(validateLegs(Array.from({ length: 9 }, (_, i) => leg(`I${i}`, 1)))).toMatchObject([
      { code: 'RFQ.INVALID_LEGS', field: 'legs' },
    ]);
  });

  it('names each bad ratio by leg', () => {
    const problems = validateLegs([leg('A', 0), leg('B', '1.5'), leg('C', 101), leg('D', -1), leg('E', 7)]);
    expect(problems.map((p) => p.legIndex)).toEqual([0, 1, 2, 3]);
    expect(problems.every((p) => p.code === 'RFQ.INVALID_LEGS')).toBe(true);
    expect(problems[1]?.field).toBe('legs[1].ratio');
  });

  it('refuses an instrument used twice', () => {
    expect(validateLegs([leg('A', 1), leg('B', 1), leg('A', 2)])).toMatchObject([
      { code: 'RFQ.INVALID_LEGS', field: 'legs[2].instrumentId', legIndex: 2 },
    ]);
  });
});

describe('validateStructureQuantity', () => {
  const legs = [
    { ratio: dec(1), lotSize: dec('0.1') },
    { ratio: dec(2), lotSize: dec(1) },
  ];

  it('accepts a quantity whose leg quantities are whole lots', () => {
    expect(validateStructureQuantity(dec('1.5'), legs)).toEqual([]);
    expect(validateStructureQuantity(dec(3), legs)).toEqual([]);
  });

  it('names the leg whose quantity is off its lot', () => {
    expect(validateStructureQuantity(dec('0.25'), legs)).toMatchObject([
      { code: 'RFQ.INVALID_QUANTITY', legIndex: 0 },
      { code: 'RFQ.INVALID_QUANTITY', legIndex: 1 },
    ]);
    expect(validateStructureQuantity(dec('0.7'), legs)).toMatchObject([{ legIndex: 1 }]);
  });

  it('refuses zero and negative quantities', () => {
    expect(validateStructureQuantity(dec(0), legs)).toMatchObject([
      { code: 'RFQ.INVALID_QUANTITY', field: 'quantity' },
    ]);
    expect(validateStructureQuantity(dec(-1), legs)).toHaveLength(1);
  });
});

describe('structureTick', () => {
  it('is the smallest tick among the legs', () => {
    expect(
      structureTick([
        { ratio: dec(1), tickSize: dec('0.5') },
        { ratio: dec(3), tickSize: dec('0.0005') },
        { ratio: dec(1), tickSize: dec('0.01') },
      ]).toFixed(),
    ).toBe('0.0005');
  });

  it('refuses an empty structure', () => {
    expect(() => structureTick([])).toThrow(DomainError);
  });
});

describe('structureLotSize', () => {
  it('is the finest quantity every leg can trade in whole lots', () => {
    expect(structureLotSize([{ ratio: dec(1), lotSize: dec('0.1') }]).toFixed()).toBe('0.1');
    expect(structureLotSize([{ ratio: dec(2), lotSize: dec(1) }]).toFixed()).toBe('0.5');
    expect(structureLotSize([{ ratio: dec(3), lotSize: dec(1) }]).toFixed()).toBe('1');
    expect(
      structureLotSize([
        { ratio: dec(3), lotSize: dec('0.1') },
        { ratio: dec(2), lotSize: dec(1) },
      ]).toFixed(),
    ).toBe('0.5');
  });

  it('agrees with validateStructureQuantity', () => {
    const lotSize = fc.constantFrom('0.01', '0.1', '1', '0.25', '5').map((s) => dec(s));
    const ratio = fc.integer({ min: 1, max: 100 }).map((n) => dec(n));
    fc.assert(
      fc.property(
        fc.array(fc.record({ ratio, lotSize }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        (legs, units) => {
          const quantity = dec(units).div(10_000);
          const valid = validateStructureQuantity(quantity, legs).length === 0;
          expect(valid).toBe(isMultipleOf(quantity, structureLotSize(legs)));
          expect(validateStructureQuantity(structureLotSize(legs), legs)).toEqual([]);
        },
      ),
    );
  });
});

describe('validatePriceTick and throwIfProblems', () => {
  it('accepts negative net prices on the grid and refuses off-grid prices', () => {
    expect(validatePriceTick(dec('-12.5'), dec('0.5'))).toEqual([]);
    expect(validatePriceTick(dec('12.3'), dec('0.5'), 'limitPrice')).toMatchObject([
      { code: 'VALIDATION.TICK', field: 'limitPrice' },
    ]);
  });

  it('throws a bad_request coded after the first problem, with every problem as details', () => {
    expect(() => throwIfProblems([])).not.toThrow();
    const problems = validateLegs([leg('A', 0), leg('A', 1)]);
    let error: unknown;
    try {
      throwIfProblems(problems);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'RFQ.INVALID_LEGS', kind: 'bad_request', details: problems });
  });
});
