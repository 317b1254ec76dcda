import type { Clock } from '@app/core';

/**
 * A clock that only moves when told to. The simulation installs one instance on every engine
 * service (`service.clock = fake`), so expiry, validity and fill times are all simulated time.
 */
export class FakeClock implements Clock {
  private ms: number;

  constructor(start: Date) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  get epochMs(): number {
    return this.ms;
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a fake clock only moves forward, got ${ms}`);
    this.ms += Math.round(ms);
    return this.now();
  }
}

/** The simulated epoch: a fixed instant, so the seeded instruments and every time are the same on each run. */
export const SIM_EPOCH = new Date('2030-01-07T08:00:00.000Z');
