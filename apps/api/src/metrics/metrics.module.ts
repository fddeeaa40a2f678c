import { Module } from '@nestjs/common';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HttpMetricsHook } from './http-metrics.hook.js';
import { PrometheusMetrics } from './prometheus-metrics.js';
import { PrometheusController } from './prometheus.controller.js';
import { PrometheusService } from './prometheus.service.js';

@Module({
  imports: [RuntimeModule],
  controllers: [PrometheusController],
  providers: [PrometheusMetrics, PrometheusService, HttpMetricsHook],
  exports: [PrometheusMetrics],
})
export class MetricsModule {}
