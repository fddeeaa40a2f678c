import { ApiProperty } from '@nestjs/swagger';
import { ReadOnlyDate, ReadOnlyField, ReadOnlyInt, wireFields } from '@app/common';
import type { BusCheck, DependencyCheck, RuntimeSnapshot } from '../health.entity.js';

export class InstancesByStateDto {
  /** Instances running onInit. */
  @ReadOnlyInt()
  loading: number;
  /** Instances serving calls. */
  @ReadOnlyInt()
  ready: number;
  /** Instances that failed to start or crashed too often; they serve nothing until restarted. */
  @ReadOnlyInt()
  failed: number;
  /** Instances running onCleanup. */
  @ReadOnlyInt()
  stopping: number;
  /** Instances stopped but still known to the runtime. */
  @ReadOnlyInt()
  stopped: number;
}

export class RuntimeHealthDto {
  /** Sandbox worker threads alive, shared and dedicated (they start with the first plugin loaded). */
  @ReadOnlyInt()
  workers_alive: number;
  /** Of those, threads dedicated to one quarantined installation. */
  @ReadOnlyInt()
  workers_dedicated: number;
  /** How many shared worker threads the runtime may start. */
  @ReadOnlyInt()
  workers_max: number;
  /** Plugin instances loaded in the runtime, by state. */
  @ApiProperty({ type: () => InstancesByStateDto, readOnly: true })
  instances: InstancesByStateDto;

  static from(snapshot: RuntimeSnapshot): RuntimeHealthDto {
    return {
      ...wireFields(snapshot, 'workersAlive', 'workersDedicated', 'workersMax'),
      instances: { ...snapshot.instances },
    };
  }
}

export class LivenessResponseDto {
  /** Always `ok` when the process answers. */
  @ApiProperty({ enum: ['ok'], readOnly: true })
  status: 'ok';
  /** The server release. */
  @ReadOnlyField()
  version: string;
  /** The integer API version. */
  @ReadOnlyInt()
  api_version: number;
  /** Seconds since the process started serving. */
  @ReadOnlyField()
  uptime_seconds: number;
  /** When the process started serving. */
  @ReadOnlyDate()
  started_at: string;
  /** The plugin runtime: worker threads and instances by state. */
  @ApiProperty({ type: () => RuntimeHealthDto, readOnly: true })
  runtime: RuntimeHealthDto;
}

export class DependencyCheckDto {
  /** `up` when the dependency answered, `down` otherwise. */
  @ApiProperty({ enum: ['up', 'down'], enumName: 'CheckStatus', readOnly: true })
  status: 'up' | 'down';
  /** Round-trip time of the check in milliseconds. */
  @ReadOnlyField()
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

export class BusCheckDto {
  /** `up` while connected (or reconnecting for less than a few seconds), `down` otherwise. */
  @ApiProperty({ enum: ['up', 'down'], enumName: 'CheckStatus', readOnly: true })
  status: 'up' | 'down';
  /** `in-process` (one node) or `nats` (NATS_URL set). */
  @ApiProperty({ enum: ['in-process', 'nats'], enumName: 'BusAdapter', readOnly: true })
  adapter: 'in-process' | 'nats';
  /** The connection's state. */
  @ApiProperty({ enum: ['connected', 'reconnecting', 'closed'], enumName: 'BusState', readOnly: true })
  state: 'connected' | 'reconnecting' | 'closed';
  /** When the state last changed. */
  @ReadOnlyDate()
  since: string;
  /** NATS: the server (host:port) it talks to, or is trying to reach. */
  @ApiProperty({ required: false, readOnly: true, example: '10.0.0.5:4222' })
  server?: string;

  static from(check: BusCheck): BusCheckDto {
    const dto: BusCheckDto = {
      status: check.status,
      adapter: check.adapter,
      state: check.state,
      since: check.since.toISOString(),
    };
    if (check.server !== undefined) dto.server = check.server;
    return dto;
  }
}

export class ReadinessChecksDto {
  /** A `ping` to the database. */
  @ApiProperty({ type: () => DependencyCheckDto, readOnly: true })
  database: DependencyCheckDto;
  /** The message bus between API nodes (messaging). */
  @ApiProperty({ type: () => BusCheckDto, required: false, readOnly: true })
  bus?: BusCheckDto;
}

export class ReadinessResponseDto {
  /** `ready` when every dependency is up (HTTP 200), else `unavailable` (HTTP 503). */
  @ApiProperty({ enum: ['ready', 'unavailable'], enumName: 'ReadinessStatus', readOnly: true })
  status: 'ready' | 'unavailable';
  /** One entry per dependency. */
  @ApiProperty({ type: () => ReadinessChecksDto, readOnly: true })
  checks: ReadinessChecksDto;
  /** The plugin runtime (reported, not a readiness condition: plugins fail alone, the API still serves). */
  @ApiProperty({ type: () => RuntimeHealthDto, readOnly: true })
  runtime: RuntimeHealthDto;
}
