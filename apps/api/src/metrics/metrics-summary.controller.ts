import { Get } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, Endpoint } from '@app/common';
import { MetricsSummaryResponseDto } from './dto/metrics-summary.dto.js';
import { PluginMetricsService } from './plugin-metrics.service.js';

@ApiController('metrics', 'metrics', { roles: ['admin'] })
export class MetricsSummaryController {
  constructor(private readonly metrics: PluginMetricsService) {}

  @Get('summary')
  @ApiOkResponse({ type: MetricsSummaryResponseDto })
  @Endpoint({
    summary: 'Platform summary (admins)',
    description:
      'Every installation counted by status, their usage stats summed (onMessage and onEvent calls since each ' +
      'was installed), and the traffic of the current hour and the 23 before it, from the hourly metric buckets.',
  })
  summary(): Promise<MetricsSummaryResponseDto> {
    return this.metrics.summary();
  }
}
