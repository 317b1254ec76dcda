/**
 * Monte Carlo replication of the numerical experiment of Avellaneda & Stoikov (2008), section 4: the mid
 * follows a driftless binomial walk s → s ± σ√dt, a quote δ away from the mid is hit with probability
 * A e^{-kδ} dt per step, and the market maker ends with P&L = cash + q·s_T. Two strategies see the same
 * mid path and the same fill draws:
 *  - inventory: quotes from the production quoteFromRisk (g = [1], Σ = [[σ²(T - t)]], I = [q]);
 *  - symmetric: the same total spread centred on the mid.
 */
import { createRng } from './random.js';
import { quoteFromRisk } from './skew.js';

export interface AsSimulationParams {
  readonly sigma: number;
  readonly s0: number;
  readonly T: number;
  readonly dt: number;
  readonly A: number;
  readonly k: number;
  readonly gamma: number;
  readonly paths: number;
  readonly seed: number;
}

/** The paper's market: σ = 2, s0 = 100, T = 1, dt = 0.005, A = 140, k = 1.5 (γ = 0.1 shown). */
export const AS_PAPER_PARAMS: AsSimulationParams = Object.freeze({
  sigma: 2,
  s0: 100,
  T: 1,
  dt: 0.005,
  A: 140,
  k: 1.5,
  gamma: 0.1,
  paths: 1000,
  seed: 1,
});

export interface StrategyStats {
  readonly meanPnl: number;
  readonly stdPnl: number;
  readonly meanFinalInventory: number;
  readonly stdFinalInventory: number;
  /** Average quoted total spread (ask - bid) over all steps and paths. */
  readonly meanSpread: number;
  /** Average number of fills per path. */
  readonly meanTrades: number;
}

export interface AsSimulationResult {
  readonly params: AsSimulationParams;
  readonly inventory: StrategyStats;
  readonly symmetric: StrategyStats;
}

class Accumulator {
  private readonly pnl: number[] = [];
  private readonly q: number[] = [];
  private spreadSum = 0;
  private spreadCount = 0;
  private trades = 0;

  addSpread(spread: number): void {
    this.spreadSum += spread;
    this.spreadCount++;
  }

  addTrade(): void {
    this.trades++;
  }

  endPath(pnl: number, q: number): void {
    this.pnl.push(pnl);
    this.q.push(q);
  }

  stats(): StrategyStats {
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = (xs: number[]): number => {
      const m = mean(xs);
      return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(xs.length - 1, 1));
    };
    return {
      meanPnl: mean(this.pnl),
      stdPnl: std(this.pnl),
      meanFinalInventory: mean(this.q),
      stdFinalInventory: std(this.q),
      meanSpread: this.spreadSum / this.spreadCount,
      meanTrades: this.trades / this.pnl.length,
    };
  }
}

function validate(p: AsSimulationParams): void {
  const positive = ['sigma', 's0', 'T', 'dt', 'A', 'k', 'paths'] as const;
  for (const key of positive) {
    if (!(p[key] > 0) || !Number.isFinite(p[key])) throw new RangeError(`${key} must be > 0, got ${p[key]}`);
  }
  if (!(p.gamma > 0) || !Number.isFinite(p.gamma)) throw new RangeError(`gamma must be > 0, got ${p.gamma}`);
  if (!Number.isInteger(p.paths)) throw new RangeError(`paths must be an integer, got ${p.paths}`);
  if (!Number.isFinite(p.seed)) throw new RangeError(`seed must be finite, got ${p.seed}`);
  if (p.dt > p.T) throw new RangeError(`dt (${p.dt}) must not exceed T (${p.T})`);
}

/** Runs both strategies on `paths` seeded paths. Deterministic for a given seed. */
export function simulateAvellanedaStoikov(params: AsSimulationParams): AsSimulationResult {
  validate(params);
  const { sigma, s0, T, dt, A, k, gamma, paths } = params;
  const steps = Math.round(T / dt);
  const move = sigma * Math.sqrt(dt);
  const rng = createRng(params.seed);
  const inventoryAcc = new Accumulator();
  const symmetricAcc = new Accumulator();
  const fillProbability = (distance: number): number => Math.min(1, A * Math.exp(-k * distance) * dt);

  for (let path = 0; path < paths; path++) {
    let s = s0;
    const inv = { q: 0, cash: 0 };
    const sym = { q: 0, cash: 0 };
    for (let step = 0; step < steps; step++) {
      const tau = T - step * dt;
      const quote = quoteFromRisk({
        theo: s,
        g: [1],
        inventory: [inv.q],
        covariance: [[sigma * sigma * tau]],
        gamma,
        k,
        quantity: 1,
        baseHalfSpread: 0,
      });
      const spread = quote.ask - quote.bid;
      inventoryAcc.addSpread(spread);
      symmetricAcc.addSpread(spread);
      const uBid = rng.nextFloat();
      const uAsk = rng.nextFloat();
      const uMid = rng.nextFloat();

      if (uBid < fillProbability(s - quote.bid)) {
        inv.q += 1;
        inv.cash -= quote.bid;
        inventoryAcc.addTrade();
      }
      if (uAsk < fillProbability(quote.ask - s)) {
        inv.q -= 1;
        inv.cash += quote.ask;
        inventoryAcc.addTrade();
      }
      const half = spread / 2;
      if (uBid < fillProbability(half)) {
        sym.q += 1;
        sym.cash -= s - half;
        symmetricAcc.addTrade();
      }
      if (uAsk < fillProbability(half)) {
        sym.q -= 1;
        sym.cash += s + half;
        symmetricAcc.addTrade();
      }
      s += uMid < 0.5 ? move : -move;
    }
    inventoryAcc.endPath(inv.cash + inv.q * s, inv.q);
    symmetricAcc.endPath(sym.cash + sym.q * s, sym.q);
  }
  return { params, inventory: inventoryAcc.stats(), symmetric: symmetricAcc.stats() };
}

/** Fixed-width text table of a simulation result (used by scripts/sim-as.ts). */
export function formatAsTable(result: AsSimulationResult): string {
  const p = result.params;
  const header = `Avellaneda-Stoikov: gamma=${p.gamma} sigma=${p.sigma} s0=${p.s0} T=${p.T} dt=${p.dt} A=${p.A} k=${p.k} paths=${p.paths} seed=${p.seed}`;
  const cols = ['strategy', 'spread', 'mean P&L', 'std P&L', 'mean q', 'std q', 'trades'];
  const rows = (
    [
      ['inventory', result.inventory],
      ['symmetric', result.symmetric],
    ] as const
  ).map(([name, s]) => [
    name,
    s.meanSpread.toFixed(2),
    s.meanPnl.toFixed(2),
    s.stdPnl.toFixed(2),
    s.meanFinalInventory.toFixed(2),
    s.stdFinalInventory.toFixed(2),
    s.meanTrades.toFixed(1),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [header, line(cols), ...rows.map(line)].join('\n');
}
