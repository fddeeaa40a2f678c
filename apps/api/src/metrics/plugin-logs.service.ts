import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type PageWindow, type Slice } from '@app/common';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { InstallationsService } from '../installation/installations.service.js';
import { PluginLogLineDto, type PluginLogsQueryDto } from './dto/plugin-logs.dto.js';
import { InvalidTimeRangeError } from './metrics.errors.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';

const DAY = 86_400_000;

/**
 * An installation's stored log lines (GET /api/plugins/{plugin}/logs/), newest first. Lines reach the store on
 * each flush (PLUGHUB_METRICS_FLUSH_MS) and leave it after PLUGHUB_METRICS_RETENTION_DAYS.
 */
@Injectable()
export class PluginLogsService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly logs: PluginLogRepository,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async list(
    caller: AuthUser,
    key: string,
    query: PluginLogsQueryDto,
    window: PageWindow,
  ): Promise<Slice<PluginLogLineDto>> {
    const from = query.start_time ? new Date(query.start_time) : undefined;
    const to = query.end_time ? new Date(query.end_time) : undefined;
    if (from && to && from >= to) throw new InvalidTimeRangeError(from, to);

    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const now = this.clock.now();
    const notBefore = new Date(now.getTime() - this.config.retentionDays * DAY);
    const slice = await this.logs.find(
      {
        installationId: this.installations.runtimeIdOf(installation),
        minLevel: query.level,
        from,
        to,
        search: query.search,
      },
      window,
      notBefore,
      now,
    );
    return {
      count: slice.count,
      countRelation: slice.countRelation,
      items: slice.items.map((l) => PluginLogLineDto.from(l)),
    };
  }
}
