import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HttpMetricsHook } from './http-metrics.hook.js';
import { MetricBucketRecorder } from './metric-bucket.recorder.js';
import { ObservationFlusher } from './observation-flusher.js';
import { MetricsPersistenceModule } from './persistence/metrics-persistence.module.js';
import { PluginLogRecorder } from './plugin-log.recorder.js';
import { PrometheusMetrics } from './prometheus-metrics.js';
import { PrometheusController } from './prometheus.controller.js';
import { PrometheusService } from './prometheus.service.js';
import { UsageStatsRecorder } from './usage-stats.recorder.js';

@Module({
  imports: [RuntimeModule, MetricsPersistenceModule],
  controllers: [PrometheusController],
  providers: [
    PrometheusMetrics,
    PrometheusService,
    HttpMetricsHook,
    MetricBucketRecorder,
    UsageStatsRecorder,
    PluginLogRecorder,
    ObservationFlusher,
  ],
  exports: [PrometheusMetrics, ObservationFlusher],
})
export class MetricsModule {}
