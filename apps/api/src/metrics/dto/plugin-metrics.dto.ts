import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  OptionalDateTimeField,
  ReadOnlyDate,
  ReadOnlyDto,
  ReadOnlyField,
  ReadOnlyInt,
  ReadOnlyNullableNumber,
} from '@app/common';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional } from 'class-validator';
import { InstallationTargetQueryDto } from '../../installation/dto/installation-query.dto.js';
import { METRIC_NAMES, type MetricName, type Resolution, RESOLUTIONS } from '../metrics.entity.js';

const METRIC_LIST_PATTERN = `^(${METRIC_NAMES.join('|')})(,(${METRIC_NAMES.join('|')}))*$`;

/** GET /api/plugins/{plugin}/metrics/: the installation (scope, org), the range, the resolution and the series. */
export class PluginMetricsQueryDto extends InstallationTargetQueryDto {
  /** Start of the range (ISO 8601), rounded down to the resolution; default one hour before end_time. */
  @OptionalDateTimeField('2026-12-01T11:00:00Z')
  start_time?: string;

  /** End of the range (ISO 8601, exclusive); default now. */
  @OptionalDateTimeField('2026-12-01T12:00:00Z')
  end_time?: string;

  /** Width of one point: 1m, 5m, 15m, 1h or 1d (default 1m); windows are aligned on UTC. */
  @ApiPropertyOptional({ enum: RESOLUTIONS, enumName: 'MetricResolution', default: '1m' })
  @IsOptional()
  @IsIn(RESOLUTIONS)
  resolution?: Resolution;

  /** The series to return, comma-separated (default all). */
  @ApiPropertyOptional({
    type: String,
    pattern: METRIC_LIST_PATTERN,
    maxLength: 200,
    example: 'requests_per_minute,response_time_ms,error_rate',
    description: `The series to return, comma-separated (default all): ${METRIC_NAMES.join(', ')}.`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.length <= 200 ? value.split(',').map((s) => s.trim()) : value,
  )
  @IsArray()
  @ArrayMaxSize(METRIC_NAMES.length)
  @IsIn(METRIC_NAMES, { each: true })
  metrics?: MetricName[];
}

export class MetricPointDto {
  /** Start of the window. */
  @ReadOnlyDate()
  timestamp: string;
  /** The figure for the window. */
  @ReadOnlyField(25.5)
  value: number;
}

export class MetricTimeRangeDto {
  /** The first window's start (start_time rounded down to the resolution). */
  @ReadOnlyDate()
  start: string;
  /** end_time (exclusive). */
  @ReadOnlyDate()
  end: string;
  @ApiProperty({ enum: RESOLUTIONS, enumName: 'MetricResolution', readOnly: true })
  resolution: Resolution;
}

/** A series of MetricSeriesSetDto: there when it was asked for. */
const SeriesField = () => ApiProperty({ type: [MetricPointDto], required: false, readOnly: true });

export class MetricSeriesSetDto {
  /** Traffic calls (onMessage, onEvent, …) per minute in each window; 0 where nothing ran. */
  @SeriesField()
  requests_per_minute?: MetricPointDto[];
  /** Average call duration in each window with calls (ms). */
  @SeriesField()
  response_time_ms?: MetricPointDto[];
  /** 95th percentile of the call durations in each window with calls (ms; from a histogram, within ~25 %). */
  @SeriesField()
  response_time_p95_ms?: MetricPointDto[];
  /** Failed calls / calls in each window; 0 where nothing ran. */
  @SeriesField()
  error_rate?: MetricPointDto[];
  /** Highest sandbox heap measured in each window (MiB); remote plugins have none. */
  @SeriesField()
  memory_usage_mb?: MetricPointDto[];
  /** Traffic calls in each window. */
  @SeriesField()
  calls?: MetricPointDto[];
  /** Failed traffic calls (errors, timeouts, crashes) in each window. */
  @SeriesField()
  errors?: MetricPointDto[];
}

export class MetricTotalsDto {
  /** Traffic calls in the range. */
  @ReadOnlyInt()
  calls: number;
  /** Failed calls in the range. */
  @ReadOnlyInt()
  errors: number;
  /** errors / calls (0 without calls). */
  @ReadOnlyField()
  error_rate: number;
  /** Average call duration (ms); null without calls. */
  @ReadOnlyNullableNumber()
  response_time_ms: number | null;
  /** 95th percentile of the call durations (ms); null without calls. */
  @ReadOnlyNullableNumber()
  response_time_p95_ms: number | null;
  /** Highest sandbox heap measured (MiB); null when none was. */
  @ReadOnlyNullableNumber()
  memory_usage_mb: number | null;
}

/** The answer's shape; its JSON is written by metricsAnswerJson (metric-series.ts), not from an instance. */
export class PluginMetricsResponseDto {
  /** The plugin key. */
  @ReadOnlyField('acme.orders')
  plugin: string;
  /** The installation the figures are of. */
  @ReadOnlyField('6650c0ffee0000000000abcd')
  installation_id: string;
  @ReadOnlyDto(MetricTimeRangeDto)
  time_range: MetricTimeRangeDto;
  /** One series per metric asked for, oldest point first. */
  @ReadOnlyDto(MetricSeriesSetDto)
  metrics: MetricSeriesSetDto;
  /** The whole range folded. */
  @ReadOnlyDto(MetricTotalsDto)
  totals: MetricTotalsDto;
}
