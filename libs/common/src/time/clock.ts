/**
 * The time source of the app's rules (token expiry, cache lifetimes). Injected, so tests move time forward
 * instead of sleeping: provide a test clock in place of `Clock` (test/support/clock.ts).
 */
export abstract class Clock {
  abstract now(): Date;

  nowMs(): number {
    return this.now().getTime();
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  override nowMs(): number {
    return Date.now();
  }
}
