import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { PrometheusMetrics } from './prometheus-metrics.js';

/**
 * Times every HTTP request into the Prometheus histogram, labelled by the route template Fastify matched
 * (`/api/plugins/:key/`, never the raw URL, so the number of series stays bounded). Added while the module
 * initialises, before the server starts listening.
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
    fastify.addHook('onResponse', (request, reply, done) => {
      this.metrics.recordRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
}
