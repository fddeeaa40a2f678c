import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS } from '../errors/error-codes.js';
import { sendError } from '../errors/all-exceptions.filter.js';
import type { ErrorEnvelope } from '../errors/error-envelope.js';
import type { JsonLogger } from '../logging/json-logger.js';

/**
 * Fastify's `frameworkErrors` option: the router answers a malformed URL or an over-long path
 * parameter before any hook or Nest filter runs, so the envelope is written here.
 */
export function frameworkErrorHandler(logger: JsonLogger) {
  return (error: Error, request: FastifyRequest, reply: FastifyReply): void => sendError(error, request, reply, logger);
}

/**
 * Fastify's `clientErrorHandler` option: Node's HTTP parser refuses the request (headers over
 * 16 KiB, a malformed request line) before there is a request object, so the envelope is written to
 * the socket. 431 has no catalogue code: it becomes VALIDATION_ERROR with a reason.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset or timed-out connection has nobody left to read an answer.
  if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || socket.destroyed) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const requestId = randomUUID();
  const body: ErrorEnvelope = {
    code: 'VALIDATION_ERROR',
    message: tooLarge ? 'The request line and headers exceed 16 KiB.' : 'The request is not valid HTTP.',
    status: ERROR_STATUS.VALIDATION_ERROR,
    errors: [],
    details: { reason: tooLarge ? 'headers_too_large' : 'malformed_request' },
    request_id: requestId,
  };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    );
  }
  socket.destroy();
}
