import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Clock, EventBus, JsonLogger, OnPlughubEvent, type ScheduledJob, Scheduler } from '@app/common';
import { type HookCallEvent, PluginRuntime, type StateChangeEvent } from '@app/runtime';
import type { HealthConfig } from '../config/app-config.js';
import { HEALTH_CONFIG } from '../config/config.module.js';
import { type DueEntry, DueQueue } from './due-queue.js';
import type { PluginHealth, PluginHealthCheck, PluginHealthStatus } from './health.entity.js';
import { ERROR_WINDOW_MINUTES, errorRateCheck, phaseOffset, roundFailed, statusAfter } from './plugin-health.rules.js';
import { UnhealthyInstallationPolicy } from './unhealthy-policy.js';

const MINUTE = 60_000;
/** How often the Scheduler runs `runDue` (TICK_MS after the last one ended), which starts the checks now due. */
const TICK_MS = 100;
/**
 * How often the runtime's installation ids are looked through for one no state event announced (one loaded before
 * the monitor listened): a set lookup per id, every SWEEP_MS, instead of a status built per instance every tick.
 */
const SWEEP_MS = 10_000;

interface Tracked {
  pluginKey: string;
  nextDue: number;
  /** Its live entry in the due queue (an older one still in the queue is stale). */
  entry: DueEntry;
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
 * own offset inside the interval so checks never all run at once, and at most PLUGHUB_PLUGIN_HEALTH_MAX_PER_SECOND
 * checks start per second (in ticks of TICK_MS, earliest due first): with more installations than the interval
 * and that rate allow, each is checked less often, and the checks' cost stays bounded. A tick costs the checks it
 * starts, not the number of installations hosted. PLUGHUB_PLUGIN_UNHEALTHY_AFTER failed rounds in
 * a row make it unhealthy; a passing round makes it healthy again. Status changes are emitted as
 * `plugin.health_changed`; each background round's result goes to the unhealthy policy (UnhealthyInstallationPolicy).
 */
@Injectable()
export class PluginHealthMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tracked = new Map<string, Tracked>();
  private readonly queue = new DueQueue();
  /** Checks one tick may start: the rate bound spread over the ticks of a second. */
  private readonly perTick: number;
  private sweptAt = -Infinity;
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
    this.perTick = Math.max(1, Math.round((config.pluginCheckMaxPerSecond * TICK_MS) / 1000));
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
    else this.track(event.installationId, event.pluginKey);
  }

  /**
   * Starts the checks whose turn has come, earliest due first, at most `perTick` of them, and waits for them (the
   * Scheduler runs it TICK_MS after the last ended). Installations the runtime no longer hosts leave the queue.
   */
  async runDue(): Promise<void> {
    const now = this.clock.nowMs();
    if (now - this.sweptAt >= SWEEP_MS) {
      this.sweptAt = now;
      for (const id of this.runtime.ids()) {
        if (!this.tracked.has(id)) this.track(id, this.runtime.status(id)?.pluginKey ?? '');
      }
    }
    const due: string[] = [];
    for (let head = this.queue.peek(); head && head.at <= now && due.length < this.perTick; head = this.queue.peek()) {
      this.queue.pop();
      const tracked = this.tracked.get(head.id);
      if (tracked?.entry !== head) continue; // stale: checked (and queued again) since, or forgotten
      const state = this.runtime.stateOf(head.id);
      if (state === undefined || state === 'stopped') this.tracked.delete(head.id);
      else if (tracked.nextDue > now) this.schedule(head.id, tracked);
      else due.push(head.id);
    }
    await Promise.all(
      due.map((id) =>
        // The policy acts on background rounds only: reading an installation's health never disables it.
        this.check(id)
          .then((health) => this.policy?.afterRound(health))
          .catch((err: unknown) =>
            this.logger.warn('Health check failed to run', {
              installation_id: id,
              error: err instanceof Error ? err.message : String(err),
            }),
          ),
      ),
    );
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
    if (this.tracked.get(installationId) === tracked) this.schedule(installationId, tracked);
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
      const nextDue = this.clock.nowMs() + phaseOffset(installationId, this.config.pluginCheckIntervalMs);
      tracked = {
        pluginKey,
        nextDue,
        entry: { id: installationId, at: nextDue },
        lastCheck: null,
        checks: [],
        consecutiveFailures: 0,
        status: 'unknown',
        minutes: [],
        running: null,
      };
      this.tracked.set(installationId, tracked);
      this.queue.push(tracked.entry);
    }
    if (!tracked.pluginKey && pluginKey) tracked.pluginKey = pluginKey;
    return tracked;
  }

  /** Queues the installation's next check at its `nextDue` (the entry it had goes stale). */
  private schedule(installationId: string, tracked: Tracked): void {
    tracked.entry = { id: installationId, at: tracked.nextDue };
    this.queue.push(tracked.entry);
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
