import type { InstallationSummary } from '../../installation/installation.entity.js';
import { ReadOnlyDate, ReadOnlyDto, ReadOnlyField, ReadOnlyInt } from '@app/common';

export class InstallationsByStatusDto {
  /** Every installation, of every target. */
  @ReadOnlyInt()
  total: number;
  @ReadOnlyInt()
  installing: number;
  @ReadOnlyInt()
  active: number;
  @ReadOnlyInt()
  disabled: number;
  /** Wanted on, but they did not start or the runtime gave up on them. */
  @ReadOnlyInt()
  failed: number;
  /** Switched off by the kill switch. */
  @ReadOnlyInt()
  killed: number;
  @ReadOnlyInt()
  uninstalling: number;
}

export class UsageTotalsDto {
  /** onMessage and onEvent calls of every installation, since each was installed. */
  @ReadOnlyInt()
  execution_count: number;
  /** Of those, the failed ones. */
  @ReadOnlyInt()
  error_count: number;
  /** Their time summed (ms). */
  @ReadOnlyField()
  total_execution_time_ms: number;
  /** total / count (ms; 0 without executions). */
  @ReadOnlyField()
  avg_execution_time_ms: number;
}

export class RecentTrafficDto {
  /** Start of the first hour counted. */
  @ReadOnlyDate()
  since: string;
  /** Traffic calls of every installation since then (every hook but onInit, onHealth and onCleanup). */
  @ReadOnlyInt()
  calls: number;
  @ReadOnlyInt()
  errors: number;
  /** errors / calls (0 without calls). */
  @ReadOnlyField()
  error_rate: number;
}

export class MetricsSummaryResponseDto {
  @ReadOnlyDto(InstallationsByStatusDto)
  installations: InstallationsByStatusDto;
  /** The installations' usage stats summed. */
  @ReadOnlyDto(UsageTotalsDto)
  usage: UsageTotalsDto;
  /** The current hour and the 23 before it, from the hourly metric buckets. */
  @ReadOnlyDto(RecentTrafficDto)
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
