import { Inject, Injectable, Optional } from '@nestjs/common';
import { OnPlughubEvent } from '@app/common';
import { type HookCallEvent, PluginRuntime } from '@app/runtime';
import type { UsageDelta } from './metrics.entity.js';
import { INSTALLATION_USAGE, type InstallationUsageSink } from './metrics.ports.js';

const WORK_HOOKS: ReadonlySet<string> = new Set(['onMessage', 'onEvent', 'onProcess', 'onRequest']);

/**
 * Usage stats count the plugin's work: onMessage, onEvent, onProcess (Execute) and onRequest (its endpoints) calls
 * (lifecycle and health hooks are counted per hook in the metric buckets instead). Calls are summed per installation in memory and handed to INSTALLATION_USAGE on
 * each flush, so the hot path never waits for Mongo; a crash loses at most one flush interval
 * (PLUGHUB_METRICS_FLUSH_MS).
 */
@Injectable()
export class UsageStatsRecorder {
  /** Per installation; `lastUsedMs` is kept as a number so a call compares numbers, not Dates. */
  private pending = new Map<string, UsageDelta & { lastUsedMs: number }>();

  constructor(
    private readonly runtime: PluginRuntime,
    @Optional() @Inject(INSTALLATION_USAGE) private readonly sink: InstallationUsageSink | null,
  ) {}

  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    if (!this.sink || !WORK_HOOKS.has(event.hook)) return;
    const at = event.at.getTime();
    let delta = this.pending.get(event.installationId);
    if (!delta) {
      delta = {
        installationId: event.installationId,
        executions: 0,
        errors: 0,
        durationMs: 0,
        lastUsed: event.at,
        lastUsedMs: at,
        lastError: null,
      };
      this.pending.set(event.installationId, delta);
    }
    delta.executions++;
    delta.durationMs += event.durationMs;
    if (at > delta.lastUsedMs) {
      delta.lastUsedMs = at;
      delta.lastUsed = event.at;
    }
    if (event.outcome !== 'ok') {
      delta.errors++;
      const message = event.error ? `${event.error.code}: ${event.error.message}` : event.outcome;
      delta.lastError = { message: this.runtime.redact(event.installationId, message), at: event.at };
    }
  }

  async flush(): Promise<void> {
    if (!this.sink || this.pending.size === 0) return;
    const batch = [...this.pending.values()].map((d): UsageDelta => ({
      installationId: d.installationId,
      executions: d.executions,
      errors: d.errors,
      durationMs: d.durationMs,
      lastUsed: d.lastUsed,
      lastError: d.lastError,
    }));
    this.pending = new Map();
    await this.sink.add(batch);
  }
}
