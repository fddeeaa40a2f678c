import { HttpException } from '@nestjs/common';
import { AppError, type FieldError } from './app-error.js';
import { codeForStatus, fromFrameworkError, reasonForStatus } from '../http/framework-error-map.js';
import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  status: number;
  errors: FieldError[];
  details: Record<string, unknown>;
  request_id: string;
}

/** Messages for codes whose framework-supplied text is not meant for clients. */
const DEFAULT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'Authentication credentials were not provided or are invalid.',
  FORBIDDEN: 'You do not have permission to perform this action.',
  METHOD_NOT_ALLOWED: 'This path does not support this method; the Allow header lists the ones it does.',
  URI_TOO_LONG: 'The URL is too long.',
  UNSUPPORTED_MEDIA_TYPE: 'Request bodies must be JSON (Content-Type: application/json).',
  INTERNAL: 'An internal error occurred. Quote the request id when reporting it.',
};

interface MongoLikeError {
  name?: string;
  code?: unknown;
  keyValue?: Record<string, unknown>;
}

function fromCode(
  code: ErrorCode,
  message: string,
  errors: FieldError[] = [],
  details = {},
): Omit<ErrorEnvelope, 'request_id'> {
  return { code, message, status: ERROR_STATUS[code], errors, details };
}

/**
 * Maps anything thrown while serving a request to the one error envelope. Unknown errors become
 * INTERNAL with a generic message: their text and stack go to the log, never to the client.
 * `internal` is true when the caller should log the original error.
 */
export function toErrorEnvelope(err: unknown, requestId: string): { body: ErrorEnvelope; internal: boolean } {
  const body = (partial: Omit<ErrorEnvelope, 'request_id'>) => ({ ...partial, request_id: requestId });

  if (err instanceof AppError) {
    return { body: body(fromCode(err.code, err.message, err.errors, err.details)), internal: false };
  }
  // Fastify's own errors reach the filters wrapped by Nest (an HttpException whose cause is the FastifyError).
  const framework = fromFrameworkError(err instanceof HttpException ? (err.cause ?? err) : err);
  if (framework) {
    return { body: body(fromCode(framework.code, framework.message, [], framework.details)), internal: false };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = codeForStatus(status);
    if (code) {
      const response = err.getResponse();
      const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      const message = DEFAULT_MESSAGES[code] ?? (typeof raw === 'string' ? raw : err.message);
      const reason = reasonForStatus(status);
      return { body: body(fromCode(code, message, [], reason ? { reason } : {})), internal: false };
    }
    return { body: body(fromCode('INTERNAL', DEFAULT_MESSAGES.INTERNAL!)), internal: true };
  }
  const e = err as MongoLikeError;
  if (e && (e.name === 'MongoServerError' || e.name === 'MongoBulkWriteError') && e.code === 11000) {
    const fields = Object.keys(e.keyValue ?? {});
    return {
      body: body(fromCode('CONFLICT', 'A resource with the same unique value already exists.', [], { fields })),
      internal: false,
    };
  }
  return { body: body(fromCode('INTERNAL', DEFAULT_MESSAGES.INTERNAL!)), internal: true };
}
