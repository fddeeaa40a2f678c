import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import type { MessageBus } from '../messaging/bus/index.js';
import { MESSAGE_BUS } from '../messaging/message-bus.provider.js';
import { API_VERSION } from '../meta/api-version.js';
import { MetaService } from '../meta/meta.service.js';
import type { LivenessResponseDto, ReadinessResponseDto } from './dto/health.dto.js';
import { BusCheckDto, DependencyCheckDto, RuntimeHealthDto } from './dto/health.dto.js';
import type { BusCheck, DependencyCheck, RuntimeSnapshot } from './health.entity.js';
import { DatabaseProbe } from './persistence/database.probe.js';

const PING_TIMEOUT_MS = 2000;
/** A bus reconnecting for less than this is still ready: a NATS server restart or a network blip is not an outage. */
export const BUS_RECONNECT_GRACE_MS = 5000;

/**
 * Liveness and readiness. Not built on @nestjs/terminus: its indicators answer `{status, info, error, details}`
 * and signal failure by throwing a 503 exception, where this contract has typed checks with latencies, a 503 that
 * still carries them, and the runtime's report beside them; the one indicator it would bring (a Mongo ping) is
 * the few lines of DatabaseProbe.
 */
@Injectable()
export class HealthService {
  private readonly startedAt: Date;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly meta: MetaService,
    private readonly runtime: PluginRuntime,
    @Inject(Clock) private readonly clock: Clock,
    @Optional() @Inject(MESSAGE_BUS) private readonly bus?: MessageBus,
  ) {
    this.startedAt = clock.now();
  }

  liveness(): LivenessResponseDto {
    return {
      status: 'ok',
      version: this.meta.serverVersion,
      api_version: API_VERSION,
      uptime_seconds: Math.round((this.clock.nowMs() - this.startedAt.getTime()) / 100) / 10,
      started_at: this.startedAt.toISOString(),
      runtime: RuntimeHealthDto.from(this.runtimeSnapshot()),
    };
  }

  async readiness(): Promise<ReadinessResponseDto> {
    const database = await this.check(() => this.database.ping());
    const bus = this.busCheck();
    const ready = database.status === 'up' && (bus === null || bus.status === 'up');
    return {
      status: ready ? 'ready' : 'unavailable',
      checks: { database: DependencyCheckDto.from(database), ...(bus && { bus: BusCheckDto.from(bus) }) },
      runtime: RuntimeHealthDto.from(this.runtimeSnapshot()),
    };
  }

  /** The bus's own connection state (the NATS client pings its server; a silent one is noticed within ~20 s). */
  busCheck(): BusCheck | null {
    if (!this.bus) return null;
    const status = this.bus.status();
    const up =
      status.state === 'connected' ||
      (status.state === 'reconnecting' && this.clock.nowMs() - status.since.getTime() < BUS_RECONNECT_GRACE_MS);
    return { status: up ? 'up' : 'down', ...status };
  }

  /** Read from the runtime's own bookkeeping: in memory, no call into a worker. */
  runtimeSnapshot(): RuntimeSnapshot {
    const workers = this.runtime.workers();
    const instances: RuntimeSnapshot['instances'] = this.runtime.counts();
    return {
      workersAlive: workers.alive,
      workersDedicated: workers.dedicated,
      workersMax: workers.max,
      instances,
    };
  }

  /** Times a check, with a deadline so a hung dependency answers `down` instead of hanging the probe. */
  private async check(probe: () => Promise<void>): Promise<DependencyCheck> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      return { status: 'up', latencyMs: elapsed() };
    } catch (err) {
      return { status: 'down', latencyMs: elapsed(), error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
