import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, EventBus, JsonLogger, OnPlughubEvent, type ScheduledJob, Scheduler } from '@app/common';
import type { InstanceStatus } from '@app/runtime';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { LifecycleService } from '../installation/lifecycle.service.js';
import { ModerationService } from '../registry/moderation.service.js';
import type { Plugin } from '../registry/registry.entity.js';
import type { PluginKilledEvent, PluginRevivedEvent } from './admin.entity.js';

/** How often each node looks for kill switch changes: the kill reaches every node within this, bus or not. */
export const KILL_WATCH_INTERVAL_MS = 500;
/**
 * Changes are read back this far before the newest one seen, so a change stamped by a node whose clock lags a
 * little is not missed; changes already applied are remembered and not applied twice.
 */
const LOOKBACK_MS = 5000;
const PAGE = 500;

/**
 * Each node's watch over the kill switch: about twice a second, one indexed query for the plugins whose flag
 * changed since the last look, kept as the set of killed plugins; then any instance this node runs of a killed
 * version is stopped (also one that started in a race with the kill). It also reacts at once to `plugin.killed`
 * on this node's bus. So a kill pulled on one node stops the plugin on every other within a second, bus or not.
 *
 * It also converges the installations' statuses: the node that took a kill (or a revive) marks them after setting
 * the flag, and if it dies in between some keep their old status. So each change a look brings that no node on
 * this process applied yet is applied again (LifecycleService.killAll / reviveAll, conditional writes, so nodes
 * doing it at once change each installation once), and the first look after a start does it for every plugin the
 * switch ever touched.
 */
@Injectable()
export class KillWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: JsonLogger;
  private readonly job: ScheduledJob<void>;
  private since: Date | null = null;
  /** The killed plugins this node knows of: key → killed versions (empty: all). */
  private readonly killed = new Map<string, readonly string[]>();
  /** The change whose installation statuses were applied (changeOf), per plugin: not applied twice. */
  private readonly converged = new Map<string, string>();
  private stopped = 0;

  constructor(
    private readonly moderation: ModerationService,
    private readonly runtime: InstallationRuntime,
    private readonly lifecycle: LifecycleService,
    private readonly events: EventBus,
    @Inject(Clock) private readonly clock: Clock,
    scheduler: Scheduler,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('KillWatcher');
    this.job = scheduler.every({
      name: 'kill-watcher',
      intervalMs: KILL_WATCH_INTERVAL_MS,
      run: () => this.lookAndApply(),
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onModuleDestroy(): void {
    // Not waiting for a look in progress: with the database unreachable it lasts the driver's whole timeout.
    void this.job.stop();
  }

  /** Instances this node stopped because their plugin was killed, since it started. */
  get stoppedCount(): number {
    return this.stopped;
  }

  @OnPlughubEvent('plugin.killed')
  async onKilled(event: PluginKilledEvent): Promise<void> {
    this.killed.set(event.key, event.versions);
    await this.enforce(event.reason);
  }

  @OnPlughubEvent('plugin.revived')
  onRevived(event: PluginRevivedEvent): void {
    this.killed.delete(event.key);
  }

  /**
   * One look: what changed since the last one; then no instance of a killed version left running here (first:
   * that is what must be quick), then the installations of the changes no one here applied yet marked. The
   * scheduler runs one every KILL_WATCH_INTERVAL_MS; a look in progress finishes first. A failure is logged and
   * the next look tries again.
   */
  tick(): Promise<void> {
    return this.job.run();
  }

  private async lookAndApply(): Promise<void> {
    try {
      const changes = await this.look();
      await this.enforce();
      for (const plugin of changes) await this.converge(plugin);
    } catch (err) {
      this.logger.warn('kill switch check failed', { error: (err as Error).message });
    }
  }

  /**
   * The node that pulled the switch applies it before it answers (and marks the installations itself, so its own
   * next look leaves them alone).
   */
  async applyLocally(plugin: Plugin): Promise<void> {
    this.learn(plugin);
    this.converged.set(plugin.key, changeOf(plugin));
    await this.enforce(plugin.killedReason ?? undefined);
  }

  /** Reads the changes since the last look into the set of killed plugins; answers those seen. */
  private async look(): Promise<Plugin[]> {
    const seen: Plugin[] = [];
    // The first look reads every plugin the switch ever touched (few); later ones what changed since.
    const from = this.since ? new Date(this.since.getTime() - LOOKBACK_MS) : new Date(0);
    for (;;) {
      const changes = await this.moderation.killChangesSince(from, PAGE);
      for (const plugin of changes) {
        this.learn(plugin);
        seen.push(plugin);
        const changed = plugin.killChangedAt?.getTime() ?? 0;
        if (!this.since || changed > this.since.getTime()) this.since = new Date(changed);
      }
      const last = changes[changes.length - 1]?.killChangedAt?.getTime();
      if (changes.length < PAGE || last === undefined || last <= from.getTime()) break;
      from.setTime(last);
    }
    this.since ??= new Date(0);
    return seen;
  }

  private learn(plugin: Plugin): void {
    if (plugin.killed) this.killed.set(plugin.key, plugin.killedVersions);
    else this.killed.delete(plugin.key);
  }

  /** Sets the installations' statuses for a change no one here applied yet: killed, or (revived) disabled. */
  private async converge(plugin: Plugin): Promise<void> {
    const change = changeOf(plugin);
    if (this.converged.get(plugin.key) === change) return;
    const system = { kind: 'system' } as const;
    const reason = plugin.killedReason ?? 'killed';
    const changed = plugin.killed
      ? await this.lifecycle.killAll(plugin.key, system, reason, plugin.killedVersions)
      : await this.lifecycle.reviveAll(plugin.key, system);
    this.converged.set(plugin.key, change);
    if (!changed) return;
    await this.events.emit('audit.action', {
      actor: { kind: 'system', component: 'admin.kill_watcher' },
      action: plugin.killed ? 'plugin.kill_converged' : 'plugin.revive_converged',
      target: { type: 'plugins', id: plugin.key, key: plugin.key },
      outcome: 'success',
      details: { installations: changed, ...(plugin.killed ? { reason } : {}) },
      at: this.clock.now(),
    });
  }

  /** Stops every instance this node runs of a killed version (an instance started in a race is caught next look). */
  private async enforce(reason?: string): Promise<void> {
    if (!this.killed.size) return;
    // The instances of the killed plugins only (the runtime's index by key), not a status of every instance.
    const victims: InstanceStatus[] = [];
    for (const [key, versions] of this.killed) {
      for (const id of this.runtime.ids({ pluginKey: key })) {
        const instance = this.runtime.status(id);
        if (instance && (versions.length === 0 || versions.includes(instance.version))) victims.push(instance);
      }
    }
    for (const instance of victims) {
      try {
        await this.runtime.stop(instance.installationId, 'killed');
        this.stopped++;
        await this.events.emit('audit.action', {
          actor: { kind: 'system', component: 'admin.kill_watcher' },
          action: 'plugin.kill_applied',
          target: { type: 'installations', id: instance.installationId, key: instance.pluginKey },
          outcome: 'success',
          details: { version: instance.version, ...(reason ? { reason } : {}) },
          at: this.clock.now(),
        });
      } catch (err) {
        this.logger.error('could not stop a killed instance', {
          installation_id: instance.installationId,
          error: (err as Error).message,
        });
      }
    }
  }
}

/** One change of a plugin's kill switch: when, and what it set. */
function changeOf(plugin: Plugin): string {
  return JSON.stringify([plugin.killChangedAt?.getTime() ?? 0, plugin.killed, plugin.killedVersions]);
}
