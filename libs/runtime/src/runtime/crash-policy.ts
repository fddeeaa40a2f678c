import type { Instance } from './instance.js';

/** Outcomes that count towards the crash policy. A plugin that merely throws is answering; it is not crashing. */
export const CRASH_CODES = new Set(['PLUGIN_TIMEOUT', 'PLUGIN_KILLED', 'PLUGIN_MEMORY_LIMIT']);

/** `maxCrashes` crashes within `windowMs` mark an instance failed. */
export class CrashPolicy {
  constructor(
    readonly maxCrashes: number,
    readonly windowMs: number,
  ) {}

  /** Records one crash; true when the instance has now crashed `maxCrashes` times within the window. */
  record(instance: Instance): boolean {
    instance.crashes.push(Date.now());
    return this.recent(instance) >= this.maxCrashes;
  }

  /** Crashes within the current window (older ones are forgotten). */
  recent(instance: Instance): number {
    const since = Date.now() - this.windowMs;
    instance.crashes = instance.crashes.filter((t) => t > since);
    return instance.crashes.length;
  }

  describe(lastError: string): string {
    return `${this.maxCrashes} crashes within ${this.windowMs / 1000} s; last: ${lastError}`;
  }
}
