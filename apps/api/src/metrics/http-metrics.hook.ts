import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { onEveryResponse } from '@app/common';
import type { FastifyInstance } from 'fastify';
import { PrometheusMetrics } from './prometheus-metrics.js';

/**
 * Times every HTTP request into the Prometheus histogram, labelled by the route template Fastify matched
 * (`/api/plugins/:key/`, never the raw URL, so the number of series stays bounded), from the app's one onResponse
 * hook (onEveryResponse). Added while the module initialises, before the server starts listening.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly metrics: PrometheusMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return; // no HTTP server (a standalone application context)
    onEveryResponse(fastify, (request, reply) =>
      this.metrics.recordRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000),
    );
  }
}
