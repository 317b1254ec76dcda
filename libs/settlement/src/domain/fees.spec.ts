import { describe, expect, it } from '@jest/globals';
import { DomainError, dec } from '@app/core';
import { computeFees } from './fees.js';

const fee = (premiumAbs: string, quantity: string, bps: string, perContract: string) =>
  computeFees({
    premiumAbs: dec(premiumAbs),
    quantity: dec(quantity),
    bps: dec(bps),
    perContract: dec(perContract),
  }).toFixed();

describe('computeFees', () => {
  it('charges basis points of the premium plus a fixed amount per structure unit', () => {
    expect(fee('6050', '5', '3', '0.5')).toBe('4.315');
    expect(fee('0', '5', '3', '0.5')).toBe('2.5');
    expect(fee('6050', '5', '0', '0')).toBe('0');
  });

  it('rounds to 1e-8 USDC half-even', () => {
    expect(fee('0', '1', '0', '0.000000125')).toBe('0.00000012');
    expect(fee('0', '1', '0', '0.000000135')).toBe('0.00000014');
    expect(fee('1', '0', '0.0001234', '0')).toBe('0.00000001');
  });

  it('lets a negative rate produce a rebate', () => {
    expect(fee('10000', '1', '-1', '0')).toBe('-1');
  });

  it('refuses a negative premium or quantity', () => {
    expect(() => fee('-1', '1', '1', '0')).toThrow(DomainError);
    expect(() => fee('1', '-1', '1', '0')).toThrow(DomainError);
  });
});
