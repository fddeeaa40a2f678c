import type { HookName } from '@app/runtime';
import { type LatencyCounts, mergeCounts } from './latency-histogram.js';

export const RESOLUTIONS = ['1m', '5m', '15m', '1h', '1d'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RESOLUTION_MS: Record<Resolution, number> = {
  '1m': 60_000,
  '5m': 5 * 60_000,
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

/** The hooks that are the plugin's work; onInit, onHealth and onCleanup are the platform's (lifecycle, checks). */
const NOT_TRAFFIC: ReadonlySet<HookName> = new Set(['onInit', 'onHealth', 'onCleanup']);

/** Whether a hook call counts as traffic in the metric series (requests, errors, response times). */
export function isTraffic(hook: HookName): boolean {
  return !NOT_TRAFFIC.has(hook);
}

/** The series GET /api/plugins/{plugin}/metrics/ can return. */
export const METRIC_NAMES = [
  'requests_per_minute',
  'response_time_ms',
  'response_time_p95_ms',
  'error_rate',
  'memory_usage_mb',
  'calls',
  'errors',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Calls of one hook within a minute. */
export interface HookTally {
  calls: number;
  errors: number;
  durationSumMs: number;
}

/**
 * What one installation did within one minute (UTC, `minute` is its start): the increments a flush adds to the
 * stored bucket, and the stored bucket itself.
 */
export interface MinuteBucket {
  installationId: string;
  pluginKey: string;
  minute: Date;
  calls: number;
  errors: number;
  durationSumMs: number;
  latency: LatencyCounts;
  /** Highest QuickJS heap measured in the minute (any hook); null when no call reported one (remote plugins). */
  memoryMaxBytes: number | null;
  /** Every hook's calls, lifecycle and health checks included. */
  hooks: Partial<Record<HookName, HookTally>>;
}

/** Adds `from`'s figures into `into` (same installation; the minute is `into`'s). */
function addBucket(into: MinuteBucket, from: MinuteBucket): void {
  into.calls += from.calls;
  into.errors += from.errors;
  into.durationSumMs += from.durationSumMs;
  mergeCounts(into.latency, from.latency);
  if (from.memoryMaxBytes !== null) into.memoryMaxBytes = Math.max(into.memoryMaxBytes ?? 0, from.memoryMaxBytes);
  for (const [hook, tally] of Object.entries(from.hooks) as Array<[HookName, HookTally]>) {
    const t = (into.hooks[hook] ??= { calls: 0, errors: 0, durationSumMs: 0 });
    t.calls += tally.calls;
    t.errors += tally.errors;
    t.durationSumMs += tally.durationSumMs;
  }
}

/**
 * Buckets summed per installation and window of `sizeMs` (the window's start in `minute`), in the order each
 * window first appears.
 */
export function foldBuckets(buckets: readonly MinuteBucket[], sizeMs: number): MinuteBucket[] {
  const windows = new Map<string, MinuteBucket>();
  for (const b of buckets) {
    const start = Math.floor(b.minute.getTime() / sizeMs) * sizeMs;
    const key = `${b.installationId}|${start}`;
    let into = windows.get(key);
    if (!into) {
      into = {
        installationId: b.installationId,
        pluginKey: b.pluginKey,
        minute: new Date(start),
        calls: 0,
        errors: 0,
        durationSumMs: 0,
        latency: {},
        memoryMaxBytes: null,
        hooks: {},
      };
      windows.set(key, into);
    }
    addBucket(into, b);
  }
  return [...windows.values()];
}

/** One point of a time series at some resolution: the buckets of `[start, start + resolution)` folded. */
export interface MetricWindow {
  start: Date;
  calls: number;
  errors: number;
  durationSumMs: number;
  latency: LatencyCounts;
  memoryMaxBytes: number | null;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A stored plugin log line: one the plugin wrote, or one the runtime wrote about it (errors, dropped lines). */
export interface PluginLogLine {
  installationId: string;
  pluginKey: string;
  at: Date;
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
  /** The API request the line was written under, when it was written under one. */
  requestId?: string;
  source: 'plugin' | 'runtime';
  /** The message or fields were cut to the line limit. */
  truncated: boolean;
}

export interface PluginLogQuery {
  installationId: string;
  /** Lines at this level and above. */
  minLevel?: LogLevel;
  from?: Date;
  to?: Date;
  /** Case-insensitive substring of the message. */
  search?: string;
}

/** What a flush adds to an installation's usage stats (onMessage and onEvent calls only: the plugin's work). */
export interface UsageDelta {
  installationId: string;
  executions: number;
  errors: number;
  durationMs: number;
  lastUsed: Date;
  /** The latest failure among them, if any. */
  lastError: { message: string; at: Date; stack?: string } | null;
}
