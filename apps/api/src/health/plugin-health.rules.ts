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

/** What the endpoint knows about an installation besides the background checks. */
export interface InstallationHealthInput {
  /** The installation's stored status (installing, active, disabled, failed, killed, uninstalling). */
  status: string;
  /** Whether it should be running (active or failed). */
  enabled: boolean;
  statusReason: string | null;
  /** The runtime's instance state, or null when the runtime holds no instance. */
  instanceState: 'loading' | 'ready' | 'failed' | 'stopping' | 'stopped' | null;
  instanceReason?: string;
  /** Problems loading or starting it (GET /api/plugins/status/ registry_errors), newest last. */
  registryErrors: Array<{ stage: string; message: string; at: Date }>;
}

/** The `runtime` check: is an instance serving calls, and if not, why. */
export function runtimeCheck(input: InstallationHealthInput): PluginHealthCheck {
  const state = input.instanceState;
  if (state === 'ready') return { name: 'runtime', status: 'pass', details: 'instance ready' };
  if (state === 'loading' || state === 'stopping')
    return { name: 'runtime', status: 'warn', details: `instance ${state}` };
  const reason = input.instanceReason ?? input.statusReason;
  const why = reason ? `: ${reason}` : '';
  if (state === 'failed') return { name: 'runtime', status: 'fail', details: `instance failed${why}` };
  return {
    name: 'runtime',
    status: input.enabled ? 'fail' : 'warn',
    details: `not running (installation ${input.status}${why})`,
  };
}

/**
 * Registry errors as checks of the plugin: failing while no instance serves, a warning once one does (they are
 * what went wrong before the instance that now runs).
 */
export function registryErrorChecks(input: InstallationHealthInput): PluginHealthCheck[] {
  const running = input.instanceState === 'ready';
  return input.registryErrors.map((e) => ({
    name: `registry_${e.stage}`,
    status: running ? 'warn' : 'fail',
    details: `${e.message} (at ${e.at.toISOString()})`,
  }));
}

/**
 * The status the endpoint reports: the background checks' while an instance serves; unhealthy when the
 * installation should run and does not (failed instance, none loaded); unknown while it loads or is switched off.
 */
export function endpointStatus(input: InstallationHealthInput, monitored: PluginHealthStatus): PluginHealthStatus {
  if (input.instanceState === 'ready') return monitored;
  if (input.instanceState === 'failed') return 'unhealthy';
  if (input.instanceState === 'loading' || input.instanceState === 'stopping') return 'unknown';
  return input.enabled ? 'unhealthy' : 'unknown';
}
