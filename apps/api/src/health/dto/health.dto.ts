import { ApiProperty } from '@nestjs/swagger';
import type { DependencyCheck } from '../health.entity.js';

export class LivenessResponseDto {
  /** Always `ok` when the process answers. */
  @ApiProperty({ enum: ['ok'], readOnly: true })
  status: 'ok';
  /** The server release. */
  @ApiProperty({ readOnly: true })
  version: string;
  /** The integer API version. */
  @ApiProperty({ type: 'integer', readOnly: true })
  api_version: number;
  /** Seconds since the process started serving. */
  @ApiProperty({ readOnly: true })
  uptime_seconds: number;
  /** When the process started serving. */
  @ApiProperty({ format: 'date-time', readOnly: true })
  started_at: string;
}

export class DependencyCheckDto {
  /** `up` when the dependency answered, `down` otherwise. */
  @ApiProperty({ enum: ['up', 'down'], enumName: 'CheckStatus', readOnly: true })
  status: 'up' | 'down';
  /** Round-trip time of the check in milliseconds. */
  @ApiProperty({ readOnly: true })
  latency_ms: number;
  /** Why the check failed, when it did. */
  @ApiProperty({ required: false, readOnly: true })
  error?: string;

  static from(check: DependencyCheck): DependencyCheckDto {
    const dto: DependencyCheckDto = { status: check.status, latency_ms: check.latencyMs };
    if (check.error !== undefined) dto.error = check.error;
    return dto;
  }
}

export class ReadinessChecksDto {
  /** A `ping` to the database. */
  @ApiProperty({ type: () => DependencyCheckDto, readOnly: true })
  database: DependencyCheckDto;
}

export class ReadinessResponseDto {
  /** `ready` when every dependency is up (HTTP 200), else `unavailable` (HTTP 503). */
  @ApiProperty({ enum: ['ready', 'unavailable'], enumName: 'ReadinessStatus', readOnly: true })
  status: 'ready' | 'unavailable';
  /** One entry per dependency. */
  @ApiProperty({ type: () => ReadinessChecksDto, readOnly: true })
  checks: ReadinessChecksDto;
}
