import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { API_VERSION } from '../meta/api-version.js';
import { MetaService } from '../meta/meta.service.js';
import type { DependencyCheckDto, LivenessResponseDto, ReadinessResponseDto } from './dto/health.dto.js';

const PING_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly startedAt = new Date();

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly meta: MetaService,
  ) {}

  liveness(): LivenessResponseDto {
    return {
      status: 'ok',
      version: this.meta.serverVersion,
      api_version: API_VERSION,
      uptime_seconds: Math.round((Date.now() - this.startedAt.getTime()) / 100) / 10,
      started_at: this.startedAt.toISOString(),
    };
  }

  async readiness(): Promise<ReadinessResponseDto> {
    const database = await this.pingDatabase();
    return { status: database.status === 'up' ? 'ready' : 'unavailable', checks: { database } };
  }

  private async pingDatabase(): Promise<DependencyCheckDto> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    let timer: NodeJS.Timeout | undefined;
    try {
      const db = this.connection.db;
      if (!db) throw new Error('not connected');
      await Promise.race([
        db.command({ ping: 1 }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      return { status: 'up', latency_ms: elapsed() };
    } catch (err) {
      return { status: 'down', latency_ms: elapsed(), error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
