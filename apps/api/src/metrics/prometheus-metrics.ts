import { Injectable } from '@nestjs/common';
import { OnPlughubEvent } from '@app/common';
import { type HookCallEvent, type InstanceState, PluginRuntime } from '@app/runtime';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Plugin versions that get series of their own; calls of any further one are counted under `_other`. */
export const MAX_PLUGIN_SERIES = 500;
export const OTHER_LABEL = '_other';
/** The route label of requests that matched no route (a 404 for any path must not mint a series). */
export const UNMATCHED_ROUTE = 'unmatched';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const STATES: InstanceState[] = ['loading', 'ready', 'failed', 'stopping', 'stopped'];
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface PluginSeries {
  calls: { inc(): void };
  errors: { inc(): void };
  duration: { observe(value: number): void };
}

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
  private readonly http: Histogram<'route' | 'method' | 'status'>;
  private readonly calls: Counter<'plugin' | 'version'>;
  private readonly errors: Counter<'plugin' | 'version'>;
  private readonly durations: Histogram<'plugin' | 'version'>;
  /** Children per `key@version`, so a hook call costs a map lookup and not a label hash. */
  private readonly series = new Map<string, PluginSeries>();

  constructor(runtime: PluginRuntime) {
    collectDefaultMetrics({ register: this.registry });
    this.http = new Histogram({
      name: 'plughub_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status, and how long they took.',
      labelNames: ['route', 'method', 'status'],
      buckets: SECONDS_BUCKETS,
      registers: [this.registry],
    });
    this.calls = new Counter({
      name: 'plughub_plugin_calls_total',
      help: 'Plugin hook calls, by plugin key and version.',
      labelNames: ['plugin', 'version'],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'plughub_plugin_call_errors_total',
      help: 'Plugin hook calls that failed (error, timeout or killed), by plugin key and version.',
      labelNames: ['plugin', 'version'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'plughub_plugin_call_duration_seconds',
      help: 'Duration of plugin hook calls as seen by the caller, by plugin key and version.',
      labelNames: ['plugin', 'version'],
      buckets: SECONDS_BUCKETS,
      registers: [this.registry],
    });
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
        const counts = new Map<InstanceState, number>(STATES.map((s) => [s, 0]));
        for (const instance of runtime.list()) counts.set(instance.state, (counts.get(instance.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
  }

  /** One answered HTTP request; `route` is the matched route template, undefined when none matched. */
  recordRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    this.http.observe(
      {
        route: route ?? UNMATCHED_ROUTE,
        method: HTTP_METHODS.has(method) ? method : 'OTHER',
        status: String(status),
      },
      seconds,
    );
  }

  /** Counts every hook call of every plugin (on the runtime's hot path: synchronous, a map lookup and three adds). */
  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    const series = this.seriesOf(event.pluginKey, event.version);
    series.calls.inc();
    if (event.outcome !== 'ok') series.errors.inc();
    series.duration.observe(event.durationMs / 1000);
  }

  /** The text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private seriesOf(plugin: string, version: string): PluginSeries {
    const key = `${plugin}@${version}`;
    let series = this.series.get(key);
    if (series) return series;
    const labels = this.series.size < MAX_PLUGIN_SERIES ? { plugin, version } : undefined;
    if (!labels) {
      series = this.series.get(OTHER_LABEL) ?? this.children({ plugin: OTHER_LABEL, version: OTHER_LABEL });
      this.series.set(OTHER_LABEL, series);
      return series;
    }
    series = this.children(labels);
    this.series.set(key, series);
    return series;
  }

  private children(labels: { plugin: string; version: string }): PluginSeries {
    this.errors.inc(labels, 0); // a series that never failed shows 0, not nothing
    return {
      calls: this.calls.labels(labels),
      errors: this.errors.labels(labels),
      duration: this.durations.labels(labels),
    };
  }
}
