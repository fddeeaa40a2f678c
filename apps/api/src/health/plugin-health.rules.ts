import type { PluginHealthCheck, PluginHealthStatus } from './health.entity.js';

/** The recent window the error rate is computed over. */
export const ERROR_WINDOW_MINUTES = 5;
/** Error rates from which the error_rate check warns and fails. */
export const ERROR_RATE_WARN = 0.1;
export const ERROR_RATE_FAIL = 0.5;
/** Fewer calls than this in the window say nothing about a rate. */
export const ERROR_RATE_MIN_CALLS = 5;

/** The error_rate check over the recent window. */
export function errorRateCheck(calls: number, errors: number): PluginHealthCheck {
  const rate = calls === 0 ? 0 : errors / calls;
  const status =
    calls < ERROR_RATE_MIN_CALLS
      ? 'pass'
      : rate >= ERROR_RATE_FAIL
        ? 'fail'
        : rate >= ERROR_RATE_WARN
          ? 'warn'
          : 'pass';
  return {
    name: 'error_rate',
    status,
    value: Math.round(rate * 10_000) / 10_000,
    threshold: ERROR_RATE_WARN,
    unit: 'ratio',
    details: `${errors} of ${calls} calls failed in the last ${ERROR_WINDOW_MINUTES} minutes`,
  };
}

/** A check round failed when any of its checks failed. */
export function roundFailed(checks: PluginHealthCheck[]): boolean {
  return checks.some((c) => c.status === 'fail');
}

/**
 * The status after a round: unhealthy once `unhealthyAfter` rounds in a row failed; degraded while fewer have, or
 * when a check warns; healthy otherwise.
 */
export function statusAfter(
  checks: PluginHealthCheck[],
  consecutiveFailures: number,
  unhealthyAfter: number,
): PluginHealthStatus {
  if (consecutiveFailures >= unhealthyAfter) return 'unhealthy';
  if (consecutiveFailures > 0 || checks.some((c) => c.status !== 'pass')) return 'degraded';
  return 'healthy';
}

/** Where in the interval an installation's checks run: a stable offset from its id, so checks never bunch up. */
export function phaseOffset(installationId: string, intervalMs: number): number {
  let hash = 2166136261;
  for (let i = 0; i < installationId.length; i++) hash = Math.imul(hash ^ installationId.charCodeAt(i), 16777619);
  return (hash >>> 0) % intervalMs;
}
