import { HttpException } from '@nestjs/common';
import { AppError, type FieldError } from './app-error.js';
import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  status: number;
  errors: FieldError[];
  details: Record<string, unknown>;
  request_id: string;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'LIMIT_EXCEEDED',
  415: 'VALIDATION_ERROR',
  422: 'LIMIT_EXCEEDED',
  429: 'RATE_LIMITED',
};

/** Messages for codes whose framework-supplied text is not meant for clients. */
const DEFAULT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'Authentication credentials were not provided or are invalid.',
  FORBIDDEN: 'You do not have permission to perform this action.',
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
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status];
    if (code) {
      const response = err.getResponse();
      const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      const message = DEFAULT_MESSAGES[code] ?? (typeof raw === 'string' ? raw : err.message);
      return { body: body(fromCode(code, message)), internal: false };
    }
    return { body: body(fromCode('INTERNAL', DEFAULT_MESSAGES.INTERNAL!)), internal: true };
  }
  const e = err as MongoLikeError & { statusCode?: unknown; message?: string };
  if (e && (e.name === 'MongoServerError' || e.name === 'MongoBulkWriteError') && e.code === 11000) {
    const fields = Object.keys(e.keyValue ?? {});
    return {
      body: body(fromCode('CONFLICT', 'A resource with the same unique value already exists.', [], { fields })),
      internal: false,
    };
  }
  // Errors raised by Fastify itself (body parsing, size limits, content type) carry a statusCode.
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = CODE_BY_STATUS[e.statusCode] ?? 'VALIDATION_ERROR';
    return { body: body(fromCode(code, e.message ?? 'Bad request.')), internal: false };
  }
  return { body: body(fromCode('INTERNAL', DEFAULT_MESSAGES.INTERNAL!)), internal: true };
}
