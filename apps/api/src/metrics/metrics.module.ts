import { Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HttpMetricsHook } from './http-metrics.hook.js';
import { LogTermsBackfill } from './log-terms.backfill.js';
import { MetricBucketRecorder } from './metric-bucket.recorder.js';
import { MetricLevelsBackfill } from './metric-levels.backfill.js';
import { MetricLevelsPacker } from './metric-levels.packer.js';
import { MetricsSummaryController } from './metrics-summary.controller.js';
import { ObservationFlusher } from './observation-flusher.js';
import { MetricsPersistenceModule } from './persistence/metrics-persistence.module.js';
import { PluginLogRecorder } from './plugin-log.recorder.js';
import { PluginLogsService } from './plugin-logs.service.js';
import { PluginMetricsController } from './plugin-metrics.controller.js';
import { PluginMetricsService } from './plugin-metrics.service.js';
import { PrometheusMetrics } from './prometheus-metrics.js';
import { PrometheusController } from './prometheus.controller.js';
import { PrometheusService } from './prometheus.service.js';
import { UsageStatsRecorder } from './usage-stats.recorder.js';

@Module({
  imports: [RuntimeModule, MetricsPersistenceModule, InstallationModule],
  controllers: [PrometheusController, PluginMetricsController, MetricsSummaryController],
  providers: [
    PrometheusMetrics,
    PrometheusService,
    HttpMetricsHook,
    MetricBucketRecorder,
    UsageStatsRecorder,
    PluginLogRecorder,
    ObservationFlusher,
    PluginMetricsService,
    PluginLogsService,
    LogTermsBackfill,
    MetricLevelsBackfill,
    MetricLevelsPacker,
  ],
  exports: [PrometheusMetrics, ObservationFlusher],
})
export class MetricsModule {}
