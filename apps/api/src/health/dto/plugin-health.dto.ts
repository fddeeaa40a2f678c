import { ApiProperty } from '@nestjs/swagger';
import type { PluginHealth, PluginHealthCheck, PluginHealthStatus } from '../health.entity.js';
import { ReadOnlyDto, ReadOnlyField, ReadOnlyInt, ReadOnlyNullableDate } from '@app/common';

const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;
const CHECK_STATUSES = ['pass', 'warn', 'fail'] as const;

export class PluginHealthCheckDto {
  /** What was checked: `runtime`, `error_rate`, `onHealth` (the hook itself), a registry stage, or a plugin check. */
  @ReadOnlyField('database_connection')
  name: string;
  @ApiProperty({ enum: CHECK_STATUSES, enumName: 'PluginHealthCheckStatus', readOnly: true })
  status: 'pass' | 'warn' | 'fail';
  /** How long the check took (ms), when timed. */
  @ApiProperty({ required: false, readOnly: true, example: 15 })
  response_time_ms?: number;
  @ApiProperty({ required: false, readOnly: true, example: 'Connection pool healthy' })
  details?: string;
  /** A measured value, with its threshold and unit. */
  @ApiProperty({ required: false, readOnly: true, example: 0.02 })
  value?: number;
  @ApiProperty({ required: false, readOnly: true, example: 0.1 })
  threshold?: number;
  @ApiProperty({ required: false, readOnly: true, example: 'ratio' })
  unit?: string;

  static from(c: PluginHealthCheck): PluginHealthCheckDto {
    const dto: PluginHealthCheckDto = { name: c.name, status: c.status };
    if (c.responseTimeMs !== undefined) dto.response_time_ms = c.responseTimeMs;
    if (c.details !== undefined) dto.details = c.details;
    if (c.value !== undefined) dto.value = c.value;
    if (c.threshold !== undefined) dto.threshold = c.threshold;
    if (c.unit !== undefined) dto.unit = c.unit;
    return dto;
  }
}

export class PluginHealthMetricsDto {
  /** Traffic calls per minute over the last 5 minutes. */
  @ReadOnlyField(25.5)
  requests_per_minute: number;
  /** Failed calls / calls over the last 5 minutes (0 without calls). */
  @ReadOnlyField(0.002)
  error_rate: number;
  /** The sandbox heap now (MiB); null for remote plugins and instances that are not running. */
  @ApiProperty({ type: Number, nullable: true, readOnly: true, example: 45 })
  memory_usage_mb: number | null;
}

export class PluginHealthResponseDto {
  /** The plugin key. */
  @ReadOnlyField('acme.orders')
  plugin: string;
  /** The installation checked. */
  @ReadOnlyField('6650c0ffee0000000000abcd')
  installation_id: string;
  /**
   * healthy: every check passes; degraded: a check warns, or fewer than PLUGHUB_PLUGIN_UNHEALTHY_AFTER rounds in a
   * row failed; unhealthy: that many did, or the installation should run and does not; unknown: not checked, or
   * switched off.
   */
  @ApiProperty({ enum: HEALTH_STATUSES, enumName: 'PluginHealthStatus', readOnly: true })
  status: PluginHealthStatus;
  /** When the last check round ran; null before the first. */
  @ReadOnlyNullableDate()
  last_check: string | null;
  /** Seconds the running instance has been up (0 when none runs). */
  @ReadOnlyInt()
  uptime_seconds: number;
  /** Check rounds failed in a row. */
  @ReadOnlyInt()
  consecutive_failures: number;
  @ApiProperty({ type: [PluginHealthCheckDto], readOnly: true })
  checks: PluginHealthCheckDto[];
  @ReadOnlyDto(PluginHealthMetricsDto)
  metrics: PluginHealthMetricsDto;

  static from(plugin: string, installationId: string, h: PluginHealth): PluginHealthResponseDto {
    return {
      plugin,
      installation_id: installationId,
      status: h.status,
      last_check: h.lastCheck ? h.lastCheck.toISOString() : null,
      uptime_seconds: h.uptimeSeconds,
      consecutive_failures: h.consecutiveFailures,
      checks: h.checks.map((c) => PluginHealthCheckDto.from(c)),
      metrics: {
        requests_per_minute: h.metrics.requestsPerMinute,
        error_rate: h.metrics.errorRate,
        memory_usage_mb: h.metrics.memoryUsageMb,
      },
    };
  }
}
