import { ApiProperty } from '@nestjs/swagger';
import type { InstallationSummary } from '../../installation/installation.entity.js';

export class InstallationsByStatusDto {
  /** Every installation, of every target. */
  @ApiProperty({ type: 'integer', readOnly: true })
  total: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  installing: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  active: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  disabled: number;
  /** Wanted on, but they did not start or the runtime gave up on them. */
  @ApiProperty({ type: 'integer', readOnly: true })
  failed: number;
  /** Switched off by the kill switch. */
  @ApiProperty({ type: 'integer', readOnly: true })
  killed: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  uninstalling: number;
}

export class UsageTotalsDto {
  /** onMessage and onEvent calls of every installation, since each was installed. */
  @ApiProperty({ type: 'integer', readOnly: true })
  execution_count: number;
  /** Of those, the failed ones. */
  @ApiProperty({ type: 'integer', readOnly: true })
  error_count: number;
  /** Their time summed (ms). */
  @ApiProperty({ readOnly: true })
  total_execution_time_ms: number;
  /** total / count (ms; 0 without executions). */
  @ApiProperty({ readOnly: true })
  avg_execution_time_ms: number;
}

export class RecentTrafficDto {
  /** Start of the first hour counted. */
  @ApiProperty({ format: 'date-time', readOnly: true })
  since: string;
  /** Traffic calls of every installation since then (every hook but onInit, onHealth and onCleanup). */
  @ApiProperty({ type: 'integer', readOnly: true })
  calls: number;
  @ApiProperty({ type: 'integer', readOnly: true })
  errors: number;
  /** errors / calls (0 without calls). */
  @ApiProperty({ readOnly: true })
  error_rate: number;
}

export class MetricsSummaryResponseDto {
  @ApiProperty({ type: InstallationsByStatusDto, readOnly: true })
  installations: InstallationsByStatusDto;
  /** The installations' usage stats summed. */
  @ApiProperty({ type: UsageTotalsDto, readOnly: true })
  usage: UsageTotalsDto;
  /** The current hour and the 23 before it, from the hourly metric buckets. */
  @ApiProperty({ type: RecentTrafficDto, readOnly: true })
  last_24h: RecentTrafficDto;

  static from(
    installations: InstallationSummary,
    recent: { since: Date; calls: number; errors: number },
  ): MetricsSummaryResponseDto {
    const s = installations.byStatus;
    const total = Object.values(s).reduce((a, b) => a + b, 0);
    const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;
    return {
      installations: { total, ...s },
      usage: {
        execution_count: installations.executionCount,
        error_count: installations.errorCount,
        total_execution_time_ms: round(installations.totalExecutionTimeMs, 3),
        avg_execution_time_ms:
          installations.executionCount === 0
            ? 0
            : round(installations.totalExecutionTimeMs / installations.executionCount, 3),
      },
      last_24h: {
        since: recent.since.toISOString(),
        calls: recent.calls,
        errors: recent.errors,
        error_rate: recent.calls === 0 ? 0 : round(recent.errors / recent.calls, 4),
      },
    };
  }
}
