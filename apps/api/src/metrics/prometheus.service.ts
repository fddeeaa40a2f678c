import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { MetricsTokenError } from './metrics.errors.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

export interface Exposition {
  contentType: string;
  body: string;
}

/** GET /metrics: the exposition, behind PLUGHUB_METRICS_TOKEN when it is set. */
@Injectable()
export class PrometheusService {
  private readonly tokenDigest: Buffer | null;

  constructor(
    private readonly metrics: PrometheusMetrics,
    @Inject(METRICS_CONFIG) config: MetricsConfig,
  ) {
    this.tokenDigest = config.token === null ? null : digest(config.token);
  }

  async exposition(authorization: string | undefined): Promise<Exposition> {
    this.assertScraper(authorization);
    return { contentType: this.metrics.contentType, body: await this.metrics.render() };
  }

  private assertScraper(authorization: string | undefined): void {
    if (this.tokenDigest === null) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    // Digests of equal length, so the comparison takes the same time whatever the caller sent.
    if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest)) throw new MetricsTokenError();
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
