import { describe, expect, it } from '@jest/globals';

import { AS_PAPER_PARAMS, formatAsTable, simulateAvellanedaStoikov } from './as-simulation.js';

describe('Avellaneda–Stoikov simulation', () => {
  const small = { ...AS_PAPER_PARAMS, gamma: 0.1, paths: 100, seed: 1 };

  it('the inventory strategy keeps a much tighter inventory and P&L than the symmetric one (seeded)', () => {
    const result = simulateAvellanedaStoikov(small);
    expect(result.inventory.stdFinalInventory).toBeLessThan(0.5 * result.symmetric.stdFinalInventory);
    expect(result.inventory.stdPnl).toBeLessThan(0.7 * result.symmetric.stdPnl);
    // Same quoted spread for both by construction; the paper's γ = 0.1 region.
    expect(result.inventory.meanSpread).toBe(result.symmetric.meanSpread);
    expect(result.inventory.meanSpread).toBeGreaterThan(1.3);
    expect(result.inventory.meanSpread).toBeLessThan(1.6);
    expect(result.inventory.meanPnl).toBeGreaterThan(55);
    expect(result.inventory.meanPnl).toBeLessThan(75);
  });

  it('is deterministic for a seed', () => {
    expect(simulateAvellanedaStoikov(small)).toEqual(simulateAvellanedaStoikov(small));
    expect(simulateAvellanedaStoikov({ ...small, seed: 2 }).inventory.meanPnl).not.toBe(
      simulateAvellanedaStoikov(small).inventory.meanPnl,
    );
  });

  it('formats a table and validates parameters', () => {
    const table = formatAsTable(simulateAvellanedaStoikov({ ...small, paths: 5 }));
    expect(table).toMatch(/^Avellaneda-Stoikov: gamma=0\.1/);
    expect(table.split('\n')).toHaveLength(4);
    expect(() => simulateAvellanedaStoikov({ ...small, paths: 0 })).toThrow(/paths/);
    expect(() => simulateAvellanedaStoikov({ ...small, gamma: 0 })).toThrow(/gamma/);
    expect(() => simulateAvellanedaStoikov({ ...small, dt: 2 })).toThrow(/dt/);
  });
});
