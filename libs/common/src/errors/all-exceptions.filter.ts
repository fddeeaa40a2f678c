import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonLogger } from '../logging/json-logger.js';
import { bodyProfileOf } from '../http/body-limits.js';
import { ERROR_STATUS } from './error-codes.js';
import { toErrorEnvelope } from './error-envelope.js';

/** The single place where thrown errors become HTTP responses. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    sendError(exception, request, reply, this.logger);
  }
}

/** The challenge of a 401 (RFC 9110 §11.6.1): the schemes every guarded route accepts. */
export const WWW_AUTHENTICATE = 'Bearer realm="plughub", Token realm="plughub"';

export function sendError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: JsonLogger): void {
  const { body, internal } = toErrorEnvelope(exception, String(request.id));
  // An upload route's body limit is the configured upload limit, which clients know as LIMIT_EXCEEDED.
  if (body.details.reason === 'body_too_large' && bodyProfileOf(request.routeOptions?.config) === 'upload') {
    Object.assign(body, {
      code: 'LIMIT_EXCEEDED',
      status: ERROR_STATUS.LIMIT_EXCEEDED,
      message: 'The upload is larger than the configured limit.',
      details: { reason: 'body_too_large', limit: request.routeOptions.bodyLimit },
    });
  }
  if (internal) {
    const err = exception as Error;
    logger.error('Unhandled error', { request_id: request.id, error: err?.message, stack: err?.stack });
  }
  void reply
    .status(body.status)
    .header('content-type', 'application/json; charset=utf-8')
    // Answers written before the onRequest hooks ran (router errors) need the id header too.
    .header('x-request-id', body.request_id);
  if (body.status === 401) void reply.header('www-authenticate', WWW_AUTHENTICATE);
  const allow = body.details.allow;
  if (body.status === 405 && Array.isArray(allow)) void reply.header('allow', allow.join(', '));
  void reply.send(body);
}
