import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { AppError, unauthenticated } from '../errors/app-error.js';
import { sendError } from '../errors/all-exceptions.filter.js';
import type { JsonLogger } from '../logging/json-logger.js';
import { bodyProfileOf, DEFAULT_BODY_BYTES } from './body-limits.js';
import { clientErrorHandler, frameworkErrorHandler } from './framework-errors.js';
import { JSON_LIMITS, type JsonLimits, parseJsonBody } from './json-body.js';
import { RouteTable } from './route-table.js';

export interface HttpGuardOptions {
  /** Body limit of routes marked @UploadBody(). */
  uploadBodyBytes: number;
  logger: JsonLogger;
  /** Body limit of every other route. */
  defaultBodyBytes?: number;
  jsonLimits?: JsonLimits;
  /**
   * A response header set to the request's id on every reply, as the request arrives (in the guards' one onRequest
   * hook: a hook of its own would cost every request another round through Fastify's hook runner).
   */
  requestIdHeader?: string;
}

/** The `+json` media types (`application/merge-patch+json`) are JSON too. */
const JSON_SUFFIX_TYPE = /^application\/[a-z0-9.!#$&^_-]+\+json(?:\s*;.*)?$/i;

/** A `charset` parameter of a Content-Type, quoted or not. */
const CHARSET_PARAM = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Why a JSON body cannot be read as sent, or undefined when it can: JSON is UTF-8 (RFC 8259 §8.1), so another
 * charset, or a content coding (gzip…) the server does not undo, is refused rather than parsed as garbled text.
 */
function unreadableJsonReason(headers: IncomingHttpHeaders): 'charset' | 'content_encoding' | undefined {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  if (coding && coding !== 'identity') return 'content_encoding';
  const charset = CHARSET_PARAM.exec(headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return 'charset';
  return undefined;
}

/**
 * Options for the FastifyAdapter: errors the router and Node's HTTP parser raise before any hook
 * runs are answered in the error envelope too.
 */
export function hardenedFastifyOptions(
  logger: JsonLogger,
): Pick<FastifyServerOptions, 'bodyLimit' | 'frameworkErrors' | 'clientErrorHandler'> {
  return { bodyLimit: DEFAULT_BODY_BYTES, frameworkErrors: frameworkErrorHandler(logger), clientErrorHandler };
}

/**
 * Installs what every request meets before a controller sees it: per-route body limits (small but
 * for @UploadBody() routes, which also refuse a request without credentials before reading it), a
 * JSON parser that refuses deep or key-heavy bodies before building them, 415 for any other content
 * type, and 405 with Allow for a path served under other methods; the request id header when one is named. Call
 * it on the adapter before the Nest app is created from it.
 */
export function installHttpGuards(adapter: FastifyAdapter, options: HttpGuardOptions): void {
  const fastify = adapter.getInstance();
  const logger = options.logger;
  const defaultBytes = options.defaultBodyBytes ?? DEFAULT_BODY_BYTES;
  const limits = options.jsonLimits ?? JSON_LIMITS;
  const routes = new RouteTable();

  fastify.addHook('onRoute', (route) => {
    routes.add(route.method, route.url);
    route.bodyLimit = bodyProfileOf(route.config) === 'upload' ? options.uploadBodyBytes : defaultBytes;
  });

  const requestIdHeader = options.requestIdHeader;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (requestIdHeader !== undefined) void reply.header(requestIdHeader, request.id);
    const allow = request.is404 ? routes.allowedFor(request.url) : [];
    if (allow.length) {
      const message = `${request.method} is not supported on this path.`;
      sendError(new AppError('METHOD_NOT_ALLOWED', message, [], { allow }), request, reply, logger);
      return;
    }
    // Reading and parsing megabytes for a caller the guard will refuse anyway is work for anyone.
    if (bodyProfileOf(request.routeOptions.config) === 'upload' && !request.headers.authorization) {
      sendError(unauthenticated(), request, reply, logger);
      return;
    }
    done();
  });

  const parse = (
    request: { headers: IncomingHttpHeaders },
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    const reason = unreadableJsonReason(request.headers);
    if (reason !== undefined) {
      const message =
        reason === 'charset' ? 'JSON bodies must be UTF-8.' : 'Request bodies must not have a Content-Encoding.';
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', message, [], { reason }), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body.toString(), limits);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    done(null, parsed);
  };
  const refuse = (_request: unknown, _body: unknown, done: (err: Error | null) => void) =>
    done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be JSON (Content-Type: application/json).'));

  fastify.removeAllContentTypeParsers(); // Fastify's own JSON and text/plain parsers
  // Through the adapter, so that Nest sees both types taken and adds no parsers of its own at init.
  adapter.useBodyParser('application/json', false, undefined, parse);
  adapter.useBodyParser('application/x-www-form-urlencoded', false, undefined, refuse);
  fastify.addContentTypeParser(JSON_SUFFIX_TYPE, { parseAs: 'string' }, parse);
}
