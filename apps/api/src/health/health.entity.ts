/** The answer of one dependency check. */
export interface DependencyCheck {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** What the runtime hosts right now: its worker threads and its plugin instances by state. */
export interface RuntimeSnapshot {
  workersAlive: number;
  workersDedicated: number;
  workersMax: number;
  instances: Record<'loading' | 'ready' | 'failed' | 'stopping' | 'stopped', number>;
}

/** The message bus as readiness reports it (messaging's MessageBus status). */
export interface BusCheck {
  status: 'up' | 'down';
  adapter: 'in-process' | 'nats';
  state: 'connected' | 'reconnecting' | 'closed';
  /** When `state` last changed. */
  since: Date;
  /** NATS: the server it talks to, or is trying to reach. */
  server?: string;
}

export type PluginHealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface PluginHealthCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  responseTimeMs?: number;
  details?: string;
  value?: number;
  threshold?: number;
  unit?: string;
}

/** An installation's health as the background checks last saw it, with its recent traffic. */
export interface PluginHealth {
  installationId: string;
  status: PluginHealthStatus;
  /** When onHealth last ran; null before the first check. */
  lastCheck: Date | null;
  uptimeSeconds: number;
  checks: PluginHealthCheck[];
  consecutiveFailures: number;
  metrics: { requestsPerMinute: number; errorRate: number; memoryUsageMb: number | null };
}

export interface PluginHealthChangedEvent {
  installationId: string;
  pluginKey: string;
  from: PluginHealthStatus;
  to: PluginHealthStatus;
  consecutiveFailures: number;
  at: Date;
}

/** The unhealthy policy (PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER) disabled an installation. */
export interface PluginHealthDisabledEvent {
  installationId: string;
  pluginKey: string;
  consecutiveFailures: number;
  /** Names of the checks that failed in the last round. */
  failing: string[];
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** The health policy disabled an installation that stayed unhealthy (the installation emits plugin.disabled too). */
    'plugin.health_disabled': PluginHealthDisabledEvent;
    /** A background check moved an installation's health status (e.g. healthy → degraded → unhealthy). */
    'plugin.health_changed': PluginHealthChangedEvent;
  }
}
