import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** The id of the API request the current code runs for (the `x-request-id` it answers with), if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs every request's handler with its request id in an AsyncLocalStorage, so the runtime can tell which request
 * a hook call (and the log lines it writes) was made for. A preHandler hook: it runs after the body is read, the
 * handler runs inside it, and what the handler awaits keeps the store.
 */
@Injectable()
export class RequestContextHook implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return; // no HTTP server (a standalone application context)
    fastify.addHook('preHandler', (request, _reply, done) => storage.run({ requestId: String(request.id) }, done));
  }
}
