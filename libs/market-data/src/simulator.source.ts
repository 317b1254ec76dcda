import { type MarketDataSource, type SnapshotListener } from './market-data.source.js';
import { MarketSimulator, type SimulatedUnderlying } from './simulator.js';

export interface SimulatorSourceOptions {
  readonly seed: number;
  readonly intervalMs: number;
  readonly underlyings?: readonly SimulatedUnderlying[];
  /** Timestamp of each snapshot; injectable for tests. */
  readonly now?: () => number;
}

/**
 * The default source: the seeded `MarketSimulator`, one step per interval. The path depends only on the
 * seed and the number of ticks; snapshots are stamped with the wall clock since they stand for "now".
 * Stopping pauses the path; starting again continues it.
 */
export class SimulatorSource implements MarketDataSource {
  readonly name = 'simulator';
  private readonly simulator: MarketSimulator;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SimulatorSourceOptions) {
    this.simulator = new MarketSimulator(options);
    this.now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  async start(listener: SnapshotListener): Promise<void> {
    if (this.timer !== null) return;
    const emit = () => {
      for (const snapshot of this.simulator.snapshots(this.now())) listener(snapshot);
    };
    // The current state at once, so consumers are fresh right after start rather than one tick later.
    emit();
    this.timer = setInterval(() => {
      this.simulator.step();
      emit();
    }, this.options.intervalMs);
    // Redis connections keep a real process alive; the ticker alone must not keep a test alive.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
