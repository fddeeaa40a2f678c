import { Get, Headers, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ApiController, Endpoint } from '@app/common';
import type { FastifyReply } from 'fastify';
import { MetricsTokenError } from './metrics.errors.js';
import { PrometheusService } from './prometheus.service.js';

/** Served at /metrics, outside the /api prefix, where Prometheus scrapes by default. */
@ApiController('metrics', 'metrics', 'public')
export class PrometheusController {
  constructor(private readonly prometheus: PrometheusService) {}

  @Get()
  @Endpoint({
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition format (version 0.0.4): `plughub_http_request_duration_seconds` by route ' +
      'template, method and status; `plughub_plugin_calls_total`, `plughub_plugin_call_errors_total` and ' +
      '`plughub_plugin_call_duration_seconds` by plugin key and version; `plughub_runtime_workers_alive`, ' +
      '`plughub_runtime_instances` by state; event-loop lag (`nodejs_eventloop_lag_*`) and the process metrics. ' +
      'Open unless PLUGHUB_METRICS_TOKEN is set; then it takes `Authorization: Bearer <that token>` (not a user ' +
      'JWT or API token: a scraper has no user).',
    errors: [MetricsTokenError],
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The exposition.', schema: { type: 'string' } })
  async exposition(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const { contentType, body } = await this.prometheus.exposition(authorization);
    void reply.header('content-type', contentType);
    return body;
  }
}
