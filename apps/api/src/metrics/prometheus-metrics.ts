import { Injectable } from '@nestjs/common';
import { OnPlughubEvent } from '@app/common';
import { type HookCallEvent, type InstanceState, PluginRuntime } from '@app/runtime';
import { collectDefaultMetrics, Counter, Gauge, type Metric, type MetricValueWithName, Registry } from 'prom-client';

/** Plugin versions that get series of their own; calls of any further one are counted under `_other`. */
export const MAX_PLUGIN_SERIES = 500;
export const OTHER_LABEL = '_other';
/** The route label of requests that matched no route (a 404 for any path must not mint a series). */
export const UNMATCHED_ROUTE = 'unmatched';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const STATES: InstanceState[] = ['loading', 'ready', 'failed', 'stopping', 'stopped'];
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** One series of a histogram over SECONDS_BUCKETS, kept as plain numbers: prom-client reads it only when scraped. */
interface HistogramSeries {
  labels: Record<string, string>;
  /** Observations (calls, requests). */
  count: number;
  /** Their sum, in seconds. */
  sum: number;
  /** Observations per bucket of SECONDS_BUCKETS (not cumulative), the last slot past the largest bound. */
  buckets: number[];
}

/** One plugin version's figures. */
interface PluginSeries extends HistogramSeries {
  labels: { plugin: string; version: string };
  errors: number;
}

/** Route template (undefined: none matched) → method label → status → series. */
type HttpSeries = Map<string | undefined, Map<string, Map<number, HistogramSeries>>>;

/**
 * The process's Prometheus registry (one per app, not prom-client's global one, so several apps in one process,
 * as in tests, never share counters): HTTP requests by route template, method and status; event-loop lag and
 * the other process metrics; the runtime's workers and instances; plugin calls, errors and durations labelled
 * by plugin key and version only. Every label has a bounded set of values: route templates (never raw URLs),
 * seven methods, status codes, at most MAX_PLUGIN_SERIES plugin versions.
 */
@Injectable()
export class PrometheusMetrics {
  readonly registry = new Registry();
  /**
   * The HTTP request histogram's series, found by three map lookups on what the request already holds (the route
   * template, method and status): prom-client's Histogram would validate and hash the labels on every request.
   */
  private readonly http: HttpSeries = new Map();
  /**
   * Per `key@version`. prom-client validates and hashes the labels on every `inc`/`observe` (~14 µs per hook call
   * for the three metrics); a hook call here costs a map lookup and a few additions, and the figures reach
   * prom-client when it collects, at scrape time.
   */
  private readonly series = new Map<string, PluginSeries>();
  /** The same series by plugin key, then version (without those counted under `_other`). */
  private readonly byPlugin = new Map<string, Map<string, PluginSeries>>();

  constructor(runtime: PluginRuntime) {
    collectDefaultMetrics({ register: this.registry });
    const http = this.http;
    this.registry.registerMetric(
      seriesHistogram(
        'plughub_http_request_duration_seconds',
        'HTTP requests by route template, method and status, and how long they took.',
        function* () {
          for (const methods of http.values()) for (const statuses of methods.values()) yield* statuses.values();
        },
        () => http.clear(),
      ) as unknown as Metric,
    );
    const series = this.series;
    seriesCounter(
      this.registry,
      series,
      'plughub_plugin_calls_total',
      'Plugin hook calls, by plugin key and version.',
      (s) => s.count,
    );
    seriesCounter(
      this.registry,
      series,
      'plughub_plugin_call_errors_total',
      'Plugin hook calls that failed (error, timeout or killed), by plugin key and version.',
      (s) => s.errors,
    );
    const byPlugin = this.byPlugin;
    this.registry.registerMetric(
      seriesHistogram(
        'plughub_plugin_call_duration_seconds',
        'Duration of plugin hook calls as seen by the caller, by plugin key and version.',
        () => series.values(),
        () => {
          series.clear();
          byPlugin.clear();
        },
      ) as unknown as Metric,
    );
    new Gauge({
      name: 'plughub_runtime_workers_alive',
      help: 'Sandbox worker threads alive (shared and dedicated).',
      registers: [this.registry],
      collect() {
        this.set(runtime.workers().alive);
      },
    });
    new Gauge({
      name: 'plughub_runtime_instances',
      help: 'Plugin instances loaded in the runtime, by state.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts = runtime.counts();
        for (const state of STATES) this.set({ state }, counts[state]);
      },
    });
  }

  /** One answered HTTP request; `route` is the matched route template, undefined when none matched. */
  recordRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    let methods = this.http.get(route);
    if (!methods) {
      methods = new Map();
      this.http.set(route, methods);
    }
    const label = HTTP_METHODS.has(method) ? method : 'OTHER';
    let statuses = methods.get(label);
    if (!statuses) {
      statuses = new Map();
      methods.set(label, statuses);
    }
    let series = statuses.get(status);
    if (!series) {
      series = newSeries({ route: route ?? UNMATCHED_ROUTE, method: label, status: String(status) });
      statuses.set(status, series);
    }
    observe(series, seconds);
  }

  /** Counts every hook call of every plugin (on the runtime's hot path: synchronous, a map lookup and three adds). */
  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    const series = this.seriesOf(event.pluginKey, event.version);
    if (event.outcome !== 'ok') series.errors++;
    observe(series, event.durationMs / 1000);
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private seriesOf(plugin: string, version: string): PluginSeries {
    // Two lookups on strings the event already holds: no `key@version` built per call.
    const series = this.byPlugin.get(plugin)?.get(version);
    if (series) return series;
    return this.addSeries(plugin, version);
  }

  private addSeries(plugin: string, version: string): PluginSeries {
    if (this.series.size >= MAX_PLUGIN_SERIES) {
      // Not remembered by key: versions past the cap must not grow any map.
      let other = this.series.get(OTHER_LABEL);
      if (!other) {
        other = { ...newSeries({ plugin: OTHER_LABEL, version: OTHER_LABEL }), errors: 0 };
        this.series.set(OTHER_LABEL, other);
      }
      return other;
    }
    const series = { ...newSeries({ plugin, version }), errors: 0 };
    this.series.set(`${plugin}@${version}`, series);
    let versions = this.byPlugin.get(plugin);
    if (!versions) {
      versions = new Map();
      this.byPlugin.set(plugin, versions);
    }
    versions.set(version, series);
    return series;
  }
}

function newSeries<L extends Record<string, string>>(labels: L): HistogramSeries & { labels: L } {
  return { labels, count: 0, sum: 0, buckets: new Array<number>(SECONDS_BUCKETS.length + 1).fill(0) };
}

function observe(series: HistogramSeries, seconds: number): void {
  series.count++;
  series.sum += seconds;
  let b = 0;
  while (b < SECONDS_BUCKETS.length && seconds > SECONDS_BUCKETS[b]) b++;
  series.buckets[b]++;
}

/**
 * A histogram over SECONDS_BUCKETS as a metric of the registry's own shape (what prom-client's Histogram returns
 * from `get`), read from plain-number series at scrape time: cumulative `_bucket` lines with `le`, then `_sum` and
 * `_count`.
 */
/** A counter by plugin key and version whose value, at scrape time, is `pick` of each plugin version's series. */
function seriesCounter(
  registry: Registry,
  series: Map<string, PluginSeries>,
  name: string,
  help: string,
  pick: (s: PluginSeries) => number,
): Counter {
  return new Counter({
    name,
    help,
    labelNames: ['plugin', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.values()) this.inc(s.labels, pick(s));
    },
  });
}

function seriesHistogram(name: string, help: string, series: () => Iterable<HistogramSeries>, reset: () => void) {
  return {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    reset,
    get(): Promise<{
      name: string;
      help: string;
      type: 'histogram';
      aggregator: 'sum';
      values: MetricValueWithName<string>[];
    }> {
      const values: MetricValueWithName<string>[] = [];
      for (const s of series()) {
        let cumulative = 0;
        SECONDS_BUCKETS.forEach((bound, i) => {
          cumulative += s.buckets[i];
          values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: bound }, value: cumulative });
        });
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  };
}
