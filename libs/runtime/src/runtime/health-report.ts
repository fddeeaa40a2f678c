import type { HealthCheck } from '@app/plugin-sdk';
import type { HealthReport } from '../runtime.types.js';
import type { Instance } from './instance.js';

/** What `onHealth` said (or how calling it failed), folded with the runtime's own view of the instance. */
export interface PluginHealth {
  checks: HealthCheck[];
  responseTimeMs?: number;
}

export function healthReport(instance: Instance, plugin: PluginHealth, recentCrashes: number): HealthReport {
  const checks = [...plugin.checks];
  if (instance.memoryBytes !== undefined) {
    const usedMb = instance.memoryBytes / (1024 * 1024);
    checks.push({
      name: 'memory_usage',
      status: usedMb > instance.limits.memory_mb * 0.9 ? 'warn' : 'pass',
      value: round(usedMb),
      threshold: instance.limits.memory_mb,
      unit: 'MB',
    });
  }
  if (recentCrashes > 0) {
    checks.push({ name: 'crashes', status: 'warn', value: recentCrashes, details: instance.lastError });
  }
  const status = checks.some((c) => c.status === 'fail')
    ? 'unhealthy'
    : checks.some((c) => c.status === 'warn')
      ? 'degraded'
      : 'healthy';
  return {
    installationId: instance.spec.installationId,
    status,
    state: instance.state,
    checks,
    uptimeSeconds: instance.startedAt ? Math.floor((Date.now() - instance.startedAt.getTime()) / 1000) : 0,
    responseTimeMs: plugin.responseTimeMs,
    memoryBytes: instance.memoryBytes,
    lastError: instance.lastError,
  };
}

/** The state check reported instead of calling `onHealth` when the instance is not ready. */
export function stateCheck(instance: Instance): HealthCheck {
  return { name: 'state', status: 'fail', details: `instance is ${instance.state}${suffix(instance.reason)}` };
}

/** `onHealth` may return a list of checks, `{ checks }`, or nothing (healthy). */
export function normaliseChecks(result: unknown): HealthCheck[] {
  const list = Array.isArray(result)
    ? result
    : result && typeof result === 'object' && Array.isArray((result as { checks?: unknown }).checks)
      ? (result as { checks: unknown[] }).checks
      : undefined;
  if (result === undefined || result === null) return [{ name: 'plugin', status: 'pass' }];
  if (!list) return [{ name: 'plugin', status: 'fail', details: 'onHealth returned neither a list nor { checks }' }];
  return list.map((raw, i) => {
    const c = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const status = c.status === 'pass' || c.status === 'warn' || c.status === 'fail' ? c.status : 'fail';
    const check: HealthCheck = { name: typeof c.name === 'string' ? c.name : `check_${i}`, status };
    if (typeof c.details === 'string') check.details = c.details;
    for (const key of ['value', 'threshold', 'response_time_ms'] as const) {
      if (typeof c[key] === 'number') check[key] = c[key];
    }
    if (typeof c.unit === 'string') check.unit = c.unit;
    return check;
  });
}

export const round = (n: number) => Math.round(n * 1000) / 1000;
export const suffix = (reason?: string) => (reason ? ` (${reason})` : '');
