import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import { API_VERSION } from '../meta/api-version.js';
import { MetaService } from '../meta/meta.service.js';
import type { LivenessResponseDto, ReadinessResponseDto } from './dto/health.dto.js';
import { DependencyCheckDto } from './dto/health.dto.js';
import type { DependencyCheck } from './health.entity.js';
import { DatabaseProbe } from './persistence/database.probe.js';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly startedAt: Date;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly meta: MetaService,
    @Inject(Clock) private readonly clock: Clock,
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
    };
  }

  async readiness(): Promise<ReadinessResponseDto> {
    const database = await this.check(() => this.database.ping());
    return {
      status: database.status === 'up' ? 'ready' : 'unavailable',
      checks: { database: DependencyCheckDto.from(database) },
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
