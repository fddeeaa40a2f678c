import { Inject, Injectable } from '@nestjs/common';
import { Clock, OnPlughubEvent } from '@app/common';
import { type HookCallEvent, type PluginLogEvent, PluginRuntime } from '@app/runtime';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import type { PluginLogLine } from './metrics.entity.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
export const TRUNCATION_MARK = ' …[truncated]';
/** Lines held between flushes at most; past it lines are dropped and counted like rate-limited ones. */
export const MAX_BUFFERED_LINES = 50_000;

interface RateWindow {
  pluginKey: string;
  /** Start of the minute (by the app's clock) the count is for. */
  start: number;
  stored: number;
  dropped: number;
}

/**
 * Plugin log lines (`runtime.log`) and failed hook calls (`runtime.call`, as runtime error lines) become stored
 * lines, per installation: secret setting values redacted first (the runtime hands plugins their secrets, so a
 * plugin may print one), then cut to PLUGHUB_PLUGIN_LOG_LINE_CHARS and marked, then rate limited to
 * PLUGHUB_PLUGIN_LOG_RATE lines a minute. The excess is not stored: its count becomes one warn line when the
 * minute is over. Buffered in memory and appended on each flush.
 */
@Injectable()
export class PluginLogRecorder {
  private pending: PluginLogLine[] = [];
  private readonly windows = new Map<string, RateWindow>();
  private readonly retentionMs: number;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly logs: PluginLogRepository,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.retentionMs = config.retentionDays * DAY;
  }

  @OnPlughubEvent('runtime.log')
  onLog(event: PluginLogEvent): void {
    this.accept(event.installationId, event.pluginKey, () => ({
      at: event.at,
      level: event.level,
      message: event.message,
      fields: event.fields,
      requestId: event.requestId,
      source: event.source,
    }));
  }

  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    if (event.outcome === 'ok') return;
    this.accept(event.installationId, event.pluginKey, () => {
      const fields: Record<string, unknown> = {
        hook: event.hook,
        outcome: event.outcome,
        duration_ms: event.durationMs,
        version: event.version,
      };
      if (event.error?.code) fields.code = event.error.code;
      if (event.error?.reason) fields.reason = event.error.reason;
      return {
        at: event.at,
        level: 'error',
        message: `${event.hook} failed (${event.outcome}): ${event.error?.message ?? 'no message'}`,
        fields,
        requestId: event.requestId,
        source: 'runtime',
      };
    });
  }

  /** Appends the buffered lines, and one line per installation whose last minute dropped some. */
  async flush(): Promise<void> {
    this.reportClosedWindows(this.clock.nowMs());
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    await this.logs.append(batch, this.retentionMs);
  }

  private accept(
    installationId: string,
    pluginKey: string,
    build: () => Omit<PluginLogLine, 'installationId' | 'pluginKey' | 'truncated'>,
  ): void {
    const now = this.clock.nowMs();
    const start = Math.floor(now / MINUTE) * MINUTE;
    let window = this.windows.get(installationId);
    if (!window || window.start !== start) {
      if (window?.dropped) this.pending.push(droppedLine(installationId, window, this.config.logLinesPerMinute));
      window = { pluginKey, start, stored: 0, dropped: 0 };
      this.windows.set(installationId, window);
    }
    if (window.stored >= this.config.logLinesPerMinute || this.pending.length >= MAX_BUFFERED_LINES) {
      window.dropped++;
      return;
    }
    window.stored++;
    this.pending.push(this.prepare(installationId, pluginKey, build()));
  }

  /** Redacts secrets, then cuts: cutting first could leave the start of a secret in the line. */
  private prepare(
    installationId: string,
    pluginKey: string,
    raw: Omit<PluginLogLine, 'installationId' | 'pluginKey' | 'truncated'>,
  ): PluginLogLine {
    const limit = this.config.logLineChars;
    const redact = (text: string) => this.runtime.redact(installationId, text);
    let truncated = false;
    let message = redact(raw.message);
    if (message.length > limit) {
      message = message.slice(0, limit) + TRUNCATION_MARK;
      truncated = true;
    }
    const line: PluginLogLine = {
      installationId,
      pluginKey,
      at: raw.at,
      level: raw.level,
      message,
      source: raw.source,
      truncated,
    };
    if (raw.requestId !== undefined) line.requestId = raw.requestId;
    if (raw.fields !== undefined) {
      const fields = redactDeep(raw.fields, redact) as Record<string, unknown>;
      const json = JSON.stringify(fields);
      if (json.length > limit) {
        line.fields = { truncated_json: json.slice(0, limit) + TRUNCATION_MARK };
        line.truncated = true;
      } else {
        line.fields = fields;
      }
    }
    return line;
  }

  private reportClosedWindows(now: number): void {
    const current = Math.floor(now / MINUTE) * MINUTE;
    for (const [installationId, window] of this.windows) {
      if (window.start === current) continue;
      if (window.dropped) this.pending.push(droppedLine(installationId, window, this.config.logLinesPerMinute));
      this.windows.delete(installationId);
    }
  }
}

function droppedLine(installationId: string, window: RateWindow, limit: number): PluginLogLine {
  return {
    installationId,
    pluginKey: window.pluginKey,
    at: new Date(window.start + MINUTE - 1),
    level: 'warn',
    message: `${window.dropped} log lines dropped: over the limit of ${limit} lines a minute`,
    fields: { dropped: window.dropped, limit_per_minute: limit, minute: new Date(window.start).toISOString() },
    source: 'runtime',
    truncated: false,
  };
}

/** A copy of `value` with `redact` applied to every string in it, keys included. */
function redactDeep(value: unknown, redact: (text: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [redact(k), redactDeep(v, redact, depth + 1)]),
  );
}
