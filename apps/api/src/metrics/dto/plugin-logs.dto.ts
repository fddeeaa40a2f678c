import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalDateTimeField, OptionalEnumField, QueryInt, ReadOnlyDate, ReadOnlyField } from '@app/common';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { InstallationTargetQueryDto } from '../../installation/dto/installation-query.dto.js';
import { LOG_LEVELS, type LogLevel, type PluginLogLine } from '../metrics.entity.js';

const LOG_SOURCES = ['plugin', 'runtime'] as const;

/** GET /api/plugins/{plugin}/logs/: the installation (scope, org), filters and the page. */
export class PluginLogsQueryDto extends InstallationTargetQueryDto {
  /** Lines at this level and above (debug < info < warn < error); default every level. */
  @OptionalEnumField(LOG_LEVELS, 'PluginLogLevel')
  level?: LogLevel;

  /** Only lines written at or after this instant (ISO 8601). */
  @OptionalDateTimeField('2026-12-01T11:00:00Z')
  start_time?: string;

  /** Only lines written before this instant (ISO 8601). */
  @OptionalDateTimeField('2026-12-01T12:00:00Z')
  end_time?: string;

  /**
   * Lines whose message contains this text (case-insensitive, literally) where it starts a word: `time` finds
   * "timeout" and "a time", not "runtime". A text starting with something else than a letter or digit matches
   * anywhere in the message.
   */
  @ApiPropertyOptional({ minLength: 1, maxLength: 200, example: 'timeout' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  search?: string;

  /** Number of results to return per page. Values above the maximum are clamped to it. */
  @QueryInt({ min: 1, description: 'Number of results to return per page.' })
  limit?: number;

  /** The initial index from which to return the results. */
  @QueryInt({ min: 0, description: 'The initial index from which to return the results.' })
  offset?: number;
}

export class PluginLogLineDto {
  /** When the line was written. */
  @ReadOnlyDate()
  timestamp: string;
  @ApiProperty({ enum: LOG_LEVELS, enumName: 'PluginLogLevel', readOnly: true })
  level: LogLevel;
  /** The text; secret setting values show as `[redacted]`, a cut line ends with `…[truncated]`. */
  @ReadOnlyField('Processing batch 7')
  message: string;
  /** The structured fields the line came with (plugin lines), or the failure's hook, outcome and code (runtime). */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, readOnly: true })
  metadata?: Record<string, unknown>;
  /**
   * The `x-request-id` of the API request whose plugin call wrote the line. Absent for background work (messages
   * and events from other plugins, health checks) and when it cannot be told: a line written after an `await`
   * while the installation had several calls in flight.
   */
  @ApiProperty({ required: false, readOnly: true, example: 'req-1f3a' })
  request_id?: string;
  /** `plugin`: the plugin wrote it; `runtime`: the platform wrote it about the plugin (failed calls, dropped lines). */
  @ApiProperty({ enum: LOG_SOURCES, enumName: 'PluginLogSource', readOnly: true })
  source: 'plugin' | 'runtime';
  /** The message or metadata was longer than the line limit and was cut. */
  @ReadOnlyField()
  truncated: boolean;

  static from(line: PluginLogLine): PluginLogLineDto {
    const dto: PluginLogLineDto = {
      timestamp: line.at.toISOString(),
      level: line.level,
      message: line.message,
      source: line.source,
      truncated: line.truncated,
    };
    if (line.fields !== undefined) dto.metadata = line.fields;
    if (line.requestId !== undefined) dto.request_id = line.requestId;
    return dto;
  }
}
