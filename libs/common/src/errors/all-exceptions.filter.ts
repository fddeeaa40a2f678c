import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JsonLogger } from '../logging/json-logger.js';
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

export function sendError(exception: unknown, request: FastifyRequest, reply: FastifyReply, logger: JsonLogger): void {
  const { body, internal } = toErrorEnvelope(exception, String(request.id));
  if (internal) {
    const err = exception as Error;
    logger.error('Unhandled error', { request_id: request.id, error: err?.message, stack: err?.stack });
  }
  void reply.status(body.status).header('content-type', 'application/json; charset=utf-8').send(body);
}
