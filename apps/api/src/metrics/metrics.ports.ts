import type { UsageDelta } from './metrics.entity.js';

/**
 * INSTALLATION_USAGE: where usage stats go. The installation module owns them (they are fields of the
 * installation) and binds this port from its persistence module (`@Global()`), adding each delta atomically:
 * `$inc` of execution_count, error_count and total_execution_time_ms, `$max` of last_used, and last_error when
 * the delta has one; the average is total / count. Optional: until it is bound, usage stats are not recorded.
 */
export const INSTALLATION_USAGE = Symbol('INSTALLATION_USAGE');

export interface InstallationUsageSink {
  /** Adds each delta to its installation's usage stats (an unknown installation is skipped). */
  add(deltas: UsageDelta[]): Promise<void>;
}
