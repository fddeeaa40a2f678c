import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock } from '@app/common';
import { InstallationsService } from '../installation/installations.service.js';
import { MetricsSummaryResponseDto } from './dto/metrics-summary.dto.js';
import type { PluginMetricsQueryDto } from './dto/plugin-metrics.dto.js';
import { buildSeries, MAX_METRIC_WINDOWS, metricsAnswerJson, windowCount } from './metric-series.js';
import { METRIC_NAMES, RESOLUTION_MS } from './metrics.entity.js';
import { InvalidTimeRangeError, TooManyPointsError } from './metrics.errors.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const HOUR = 3_600_000;
const DEFAULT_SPAN_MS = HOUR;

/**
 * An installation's metric series (GET /api/plugins/{plugin}/metrics/) and the admins' summary, read from the
 * stored buckets: figures lag what the runtime saw by at most one flush (PLUGHUB_METRICS_FLUSH_MS).
 */
@Injectable()
export class PluginMetricsService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly buckets: MetricBucketRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The answer as JSON text (PluginMetricsResponseDto's shape), written straight from the built series. */
  async series(caller: AuthUser, key: string, query: PluginMetricsQueryDto): Promise<string> {
    const now = this.clock.now();
    const end = query.end_time ? new Date(query.end_time) : now;
    const start = query.start_time ? new Date(query.start_time) : new Date(end.getTime() - DEFAULT_SPAN_MS);
    const resolution = query.resolution ?? '1m';
    if (start >= end) throw new InvalidTimeRangeError(start, end);
    const windows = windowCount(start, end, resolution);
    if (windows > MAX_METRIC_WINDOWS) throw new TooManyPointsError(windows, MAX_METRIC_WINDOWS);

    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const id = this.installations.runtimeIdOf(installation);
    const stored = await this.buckets.series(id, start, end, RESOLUTION_MS[resolution], now);
    const names = query.metrics?.length ? [...new Set(query.metrics)] : [...METRIC_NAMES];
    return metricsAnswerJson(key, installation.id, buildSeries(stored, { start, end, resolution }, names));
  }

  /** Installations by status, their usage stats summed, and the last 24 hours of traffic. */
  async summary(): Promise<MetricsSummaryResponseDto> {
    const now = this.clock.now();
    const since = new Date(Math.floor(now.getTime() / HOUR) * HOUR - 23 * HOUR);
    const [installations, recent] = await Promise.all([
      this.installations.summary(),
      this.buckets.totalsSince(since, now),
    ]);
    return MetricsSummaryResponseDto.from(installations, { since, ...recent });
  }
}
