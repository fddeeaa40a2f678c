import { Get, Header, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, PaginatedList, Paging, PluginKeyParam } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { NotInstalledError } from '../installation/installation.errors.js';
import { PluginLogLineDto, PluginLogsQueryDto } from './dto/plugin-logs.dto.js';
import { PluginMetricsQueryDto, PluginMetricsResponseDto } from './dto/plugin-metrics.dto.js';
import { MAX_METRIC_WINDOWS } from './metric-series.js';
import { InvalidTimeRangeError, TooManyPointsError } from './metrics.errors.js';
import { PluginLogsService } from './plugin-logs.service.js';
import { PluginMetricsService } from './plugin-metrics.service.js';

const TARGET_NOTE =
  ' The installation is chosen with `scope` (user, the default: yours; org with `org`; global) and `org`; one ' +
  'you may not see is 404.';

/** What an installation did: its metric series and its log lines (§4 metrics row). */
@ApiController('metrics', 'plugins')
export class PluginMetricsController {
  constructor(
    private readonly metrics: PluginMetricsService,
    private readonly logs: PluginLogsService,
  ) {}

  @Get(':plugin/metrics')
  @ApiOkResponse({ type: PluginMetricsResponseDto })
  // The service writes the JSON itself (up to ~3 MiB of points): Fastify sends a string with a JSON type as it is.
  @Header('content-type', 'application/json; charset=utf-8')
  @Endpoint({
    summary: 'Get an installation’s metric series',
    description:
      'Time series of what the runtime measured for the installation, in windows of `resolution` aligned on UTC ' +
      'from `start_time` (rounded down; default one hour before `end_time`) to `end_time` (default now): ' +
      'requests_per_minute, response_time_ms (average) and response_time_p95_ms, error_rate, memory_usage_mb, ' +
      'calls and errors, each `[{timestamp, value}]`, oldest first, and the whole range folded in `totals`. ' +
      'Requests are the plugin’s traffic (onMessage, onEvent, …); onInit, onHealth and onCleanup are not. ' +
      'Counting series have a point for every window (0 where nothing ran), response times only for windows ' +
      `with calls, memory only where a call measured it. At most ${MAX_METRIC_WINDOWS} windows per answer; ` +
      'figures lag by at most one flush interval (PLUGHUB_METRICS_FLUSH_MS) and are kept ' +
      'PLUGHUB_METRICS_RETENTION_DAYS.' +
      TARGET_NOTE,
    errors: [NotInstalledError, InvalidTimeRangeError, TooManyPointsError],
  })
  series(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: PluginMetricsQueryDto,
  ): Promise<string> {
    return this.metrics.series(caller, key, query);
  }

  @Get(':plugin/logs')
  @PaginatedList(PluginLogLineDto, { boundedCount: true })
  @Endpoint({
    summary: 'Get an installation’s log lines',
    description:
      'The lines the plugin wrote and the runtime wrote about it (failed calls, lines dropped over the ' +
      'per-minute limit), newest first: `level` keeps that level and above, `start_time`/`end_time` bound the ' +
      'time, `search` finds the text in the message where it starts a word (case-insensitive). Each line carries ' +
      'the `request_id` of the API request whose plugin call wrote it, when there was one. Secret setting values ' +
      'never appear; long lines are cut and marked `truncated`. Lines are kept PLUGHUB_METRICS_RETENTION_DAYS. ' +
      '`count` is exact (`count_relation: eq`) up to 10,000 matching lines (or the end of the page asked for, when ' +
      'further): past that it stops counting and says `count_relation: gte`, at least `count` lines, with or ' +
      'without a search.' +
      TARGET_NOTE,
    errors: [NotInstalledError, InvalidTimeRangeError],
  })
  list(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: PluginLogsQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<PluginLogLineDto>> {
    return this.logs.list(caller, key, query, window);
  }
}
