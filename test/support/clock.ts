import { Clock } from '@app/common';

/** Real time moved forward on demand: `clock.advance(1600)` instead of sleeping 1.6 s. */
export class TestClock extends Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
