import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { addRequestScope, ResponseStorage } from '@app/common';
import type { FastifyInstance } from 'fastify';

const storage = new ResponseStorage<{ requestId: string }>();

/** The id of the API request the current code runs for (the `x-request-id` it answers with), if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Reads that never call a plugin hook (accounts, organisations, the catalog and its versions and reviews, the
 * version and the schema, the docs, the Prometheus scrape): their requests run without request scopes (the
 * request context below), the hot paths of the API. Any route not listed here gets them.
 */
const NO_PLUGIN_CALLS =
  /^\/(?:api\/(?:auth|users|orgs|invitations|repositories|version|version-text|schema|docs)(?:\/.*)?|api\/plugins(?:\/:plugin(?:\/(?:versions|reviews)(?:\/.*)?)?)?\/?|metrics)$/;
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/** Whether the request scopes apply to a route: all but the reads listed in NO_PLUGIN_CALLS. */
export function needsRequestScopes(methods: readonly string[], url: string): boolean {
  return !(methods.every((m) => READS.has(m)) && NO_PLUGIN_CALLS.test(url));
}

/**
 * Runs the handler of every request that may call a plugin with its request id in an AsyncLocalStorage, so the
 * runtime can tell which request a hook call (and the log lines it writes) was made for. A request scope
 * (addRequestScope): a preHandler of the routes the app chose (reads that never call a plugin, like the catalog
 * or /api/auth/me/, go without); it runs after the body is read, the handler runs inside it, and what the handler
 * awaits keeps the store. The storage is on only while such a request's response is open (ResponseStorage), so the
 * hot reads pay no promise hooks for it either.
 */
@Injectable()
export class RequestContextHook implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return; // no HTTP server (a standalone application context)
    addRequestScope(fastify, (request, next, reply) => storage.run(reply.raw, { requestId: String(request.id) }, next));
  }
}
