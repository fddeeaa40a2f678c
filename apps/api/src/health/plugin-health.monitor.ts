import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Clock, EventBus, JsonLogger, OnPlughubEvent, type ScheduledJob, Scheduler } from '@app/common';
import { type HookCallEvent, PluginRuntime, type StateChangeEvent } from '@app/runtime';
import type { HealthConfig } from '../config/app-config.js';
import { HEALTH_CONFIG } from '../config/config.module.js';
import type { PluginHealth, PluginHealthCheck, PluginHealthStatus } from './health.entity.js';
import { ERROR_WINDOW_MINUTES, errorRateCheck, phaseOffset, roundFailed, statusAfter } from './plugin-health.rules.js';
import { UnhealthyInstallationPolicy } from './unhealthy-policy.js';

const MINUTE = 60_000;
/** How often the Scheduler runs `runDue`, which looks for installations whose check is due. */
const TICK_MS = 1000;

interface Tracked {
  pluginKey: string;
  nextDue: number;
  lastCheck: Date | null;
  checks: PluginHealthCheck[];
  consecutiveFailures: number;
  status: PluginHealthStatus;
  /** Calls and errors per minute (by the app's clock) over the error window, oldest dropped as time moves. */
  minutes: Array<{ minute: number; calls: number; errors: number }>;
  running: Promise<PluginHealth> | null;
}

/**
 * Background health checks of every installation the runtime hosts: onHealth (with a deadline) folded with the
 * runtime's own view and the recent error rate, every PLUGHUB_PLUGIN_HEALTH_INTERVAL_MS, each installation at its
 * own offset inside the interval so checks never all run at once. PLUGHUB_PLUGIN_UNHEALTHY_AFTER failed rounds in
 * a row make it unhealthy; a passing round makes it healthy again. Status changes are emitted as
 * `plugin.health_changed`; each background round's result goes to the unhealthy policy (UnhealthyInstallationPolicy).
 */
@Injectable()
export class PluginHealthMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tracked = new Map<string, Tracked>();
  private readonly job: ScheduledJob<void>;
  private readonly logger: JsonLogger;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly events: EventBus,
    @Inject(HEALTH_CONFIG) private readonly config: HealthConfig,
    @Inject(Clock) private readonly clock: Clock,
    scheduler: Scheduler,
    logger: JsonLogger,
    @Optional() private readonly policy?: UnhealthyInstallationPolicy,
  ) {
    this.logger = logger.child('PluginHealthMonitor');
    this.job = scheduler.every({ name: 'plugin-health', intervalMs: TICK_MS, run: () => this.runDue() });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): void {
    void this.job.stop();
  }

  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    // The plugin's traffic only: neither the checks themselves nor its lifecycle hooks.
    if (event.hook === 'onHealth' || event.hook === 'onInit' || event.hook === 'onCleanup') return;
    const tracked = this.track(event.installationId, event.pluginKey);
    const minute = Math.floor(this.clock.nowMs() / MINUTE);
    let slot = tracked.minutes[tracked.minutes.length - 1];
    if (!slot || slot.minute !== minute) {
      slot = { minute, calls: 0, errors: 0 };
      tracked.minutes.push(slot);
      while (tracked.minutes.length > ERROR_WINDOW_MINUTES) tracked.minutes.shift();
    }
    slot.calls++;
    if (event.outcome !== 'ok') slot.errors++;
  }

  @OnPlughubEvent('runtime.state')
  onState(event: StateChangeEvent): void {
    if (event.to === 'stopped') this.tracked.delete(event.installationId);
  }

  /** Checks every installation whose turn has come (the Scheduler runs it a second after the last ended). */
  async runDue(): Promise<void> {
    const now = this.clock.nowMs();
    const due = this.runtime
      .list()
      .filter((i) => i.state !== 'stopped' && this.track(i.installationId, i.pluginKey).nextDue <= now);
    for (const instance of due) {
      // The policy acts on background rounds only: reading an installation's health never disables it.
      await this.check(instance.installationId)
        .then((health) => this.policy?.afterRound(health))
        .catch((err: unknown) =>
          this.logger.warn('Health check failed to run', {
            installation_id: instance.installationId,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
    }
  }

  /** Runs one check round now (a round already running is joined, not doubled) and returns the result. */
  check(installationId: string): Promise<PluginHealth> {
    const status = this.runtime.status(installationId);
    const tracked = this.track(installationId, status?.pluginKey ?? '');
    tracked.running ??= this.round(installationId, tracked).finally(() => (tracked.running = null));
    return tracked.running;
  }

  /** The last known health; one check round first if there has been none. */
  async current(installationId: string): Promise<PluginHealth> {
    const tracked = this.tracked.get(installationId);
    if (!tracked?.lastCheck && this.runtime.status(installationId)) return this.check(installationId);
    return this.view(installationId, tracked);
  }

  /** The last known health, without running a check (for an instance that cannot answer one). */
  last(installationId: string): PluginHealth {
    return this.view(installationId, this.tracked.get(installationId));
  }

  private async round(installationId: string, tracked: Tracked): Promise<PluginHealth> {
    const checks: PluginHealthCheck[] = [];
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const report = await Promise.race([
        this.runtime.health(installationId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`onHealth gave no answer within ${this.config.pluginCheckTimeoutMs} ms`)),
            this.config.pluginCheckTimeoutMs,
          );
        }),
      ]);
      for (const c of report.checks) checks.push(toCheck(c, report.responseTimeMs));
    } catch (err) {
      checks.push({
        name: 'onHealth',
        status: 'fail',
        details: err instanceof Error ? err.message : String(err),
        responseTimeMs: Math.round((performance.now() - started) * 100) / 100,
      });
    } finally {
      clearTimeout(timer);
    }
    const window = this.window(tracked);
    checks.push(errorRateCheck(window.calls, window.errors));

    tracked.lastCheck = this.clock.now();
    tracked.nextDue = tracked.lastCheck.getTime() + this.config.pluginCheckIntervalMs;
    tracked.checks = checks;
    tracked.consecutiveFailures = roundFailed(checks) ? tracked.consecutiveFailures + 1 : 0;
    const previous = tracked.status;
    tracked.status = statusAfter(checks, tracked.consecutiveFailures, this.config.unhealthyAfter);
    if (tracked.status !== previous) {
      await this.events.emit('plugin.health_changed', {
        installationId,
        pluginKey: tracked.pluginKey,
        from: previous,
        to: tracked.status,
        consecutiveFailures: tracked.consecutiveFailures,
        at: tracked.lastCheck,
      });
    }
    return this.view(installationId, tracked);
  }

  private view(installationId: string, tracked: Tracked | undefined): PluginHealth {
    const status = this.runtime.status(installationId);
    const window = tracked ? this.window(tracked) : { calls: 0, errors: 0 };
    const startedAt = status?.startedAt?.getTime();
    return {
      installationId,
      status: tracked?.status ?? 'unknown',
      lastCheck: tracked?.lastCheck ?? null,
      uptimeSeconds:
        startedAt !== undefined && status?.state === 'ready'
          ? Math.max(0, Math.floor((Date.now() - startedAt) / 1000))
          : 0,
      checks: tracked?.checks ?? [],
      consecutiveFailures: tracked?.consecutiveFailures ?? 0,
      metrics: {
        requestsPerMinute: Math.round((window.calls / ERROR_WINDOW_MINUTES) * 100) / 100,
        errorRate: window.calls === 0 ? 0 : Math.round((window.errors / window.calls) * 10_000) / 10_000,
        memoryUsageMb:
          status?.memoryBytes === undefined ? null : Math.round((status.memoryBytes / (1024 * 1024)) * 1000) / 1000,
      },
    };
  }

  /** Calls and errors within the error window ending now. */
  private window(tracked: Tracked): { calls: number; errors: number } {
    const oldest = Math.floor(this.clock.nowMs() / MINUTE) - ERROR_WINDOW_MINUTES + 1;
    let calls = 0;
    let errors = 0;
    for (const slot of tracked.minutes) {
      if (slot.minute < oldest) continue;
      calls += slot.calls;
      errors += slot.errors;
    }
    return { calls, errors };
  }

  private track(installationId: string, pluginKey: string): Tracked {
    let tracked = this.tracked.get(installationId);
    if (!tracked) {
      tracked = {
        pluginKey,
        nextDue: this.clock.nowMs() + phaseOffset(installationId, this.config.pluginCheckIntervalMs),
        lastCheck: null,
        checks: [],
        consecutiveFailures: 0,
        status: 'unknown',
        minutes: [],
        running: null,
      };
      this.tracked.set(installationId, tracked);
    }
    if (!tracked.pluginKey && pluginKey) tracked.pluginKey = pluginKey;
    return tracked;
  }
}

function toCheck(
  c: {
    name: string;
    status: 'pass' | 'warn' | 'fail';
    details?: string;
    value?: number;
    threshold?: number;
    unit?: string;
    response_time_ms?: number;
  },
  responseTimeMs: number | undefined,
): PluginHealthCheck {
  const check: PluginHealthCheck = { name: c.name, status: c.status };
  const time = c.response_time_ms ?? responseTimeMs;
  if (time !== undefined) check.responseTimeMs = time;
  if (c.details !== undefined) check.details = c.details;
  if (c.value !== undefined) check.value = c.value;
  if (c.threshold !== undefined) check.threshold = c.threshold;
  if (c.unit !== undefined) check.unit = c.unit;
  return check;
}
