/**
 * Per-sandbox flood limits: a plugin must not be able to swamp the main thread (logs, events, host calls are all
 * handled there) however fast it loops.
 */
export const FLOOD_LIMITS = {
  logLinesPerSecond: 200,
  logMessageChars: 8192,
  logFieldsChars: 16_384,
  eventsPerSecond: 100,
  eventDataChars: 256 * 1024,
  hostCallsInFlight: 64,
};

/** Counts uses in the current one-second window. */
export class PerSecond {
  private windowStart = 0;
  private used = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  take(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.used = 0;
      this.dropped = 0;
    }
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.dropped++;
    return false;
  }
}
