import type { ErrorCode } from '../errors/error-codes.js';

interface FrameworkMapping {
  code: ErrorCode;
  message: string;
  /** `details.reason` where one code covers several causes. */
  reason?: string;
}

/**
 * Errors Fastify raises itself (routing, body reading, content types), by their `code`, with
 * messages of our own: Fastify's echo the URL and name framework internals.
 */
const FASTIFY_ERRORS: Record<string, FrameworkMapping> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'VALIDATION_ERROR',
    reason: 'body_too_large',
    message: 'The body is larger than this operation accepts.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'VALIDATION_ERROR',
    reason: 'malformed_body',
    message: 'The body does not match its Content-Length.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'VALIDATION_ERROR',
    reason: 'invalid_json',
    message: 'The body is not valid JSON.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Request bodies must be JSON (Content-Type: application/json).',
  },
  FST_ERR_BAD_URL: {
    code: 'VALIDATION_ERROR',
    reason: 'malformed_url',
    message: 'The URL is not validly percent-encoded.',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'URI_TOO_LONG',
    message: 'A path parameter is longer than 100 characters.',
  },
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'LIMIT_EXCEEDED',
  429: 'RATE_LIMITED',
};

/** The catalogue code for an HTTP client-error status raised by the framework, if the catalogue has one. */
export function codeForStatus(status: number): ErrorCode | undefined {
  if (status === 413) return 'VALIDATION_ERROR';
  return CODE_BY_STATUS[status];
}

/** `details.reason` for a framework status whose catalogue code covers several causes. */
export function reasonForStatus(status: number): string | undefined {
  return status === 413 ? 'body_too_large' : undefined;
}

/**
 * Maps an error raised by Fastify (it carries `statusCode` and an `FST_` code) to a catalogue code,
 * a message and details; undefined when the error is not a framework client error.
 */
export function fromFrameworkError(
  err: unknown,
): { code: ErrorCode; message: string; details: Record<string, unknown> } | undefined {
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return undefined;
  const known = typeof e.code === 'string' ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return { code: known.code, message: known.message, details: known.reason ? { reason: known.reason } : {} };
  const code = codeForStatus(e.statusCode) ?? 'VALIDATION_ERROR';
  const reason = reasonForStatus(e.statusCode);
  return {
    code,
    message: typeof e.message === 'string' && e.message ? e.message : 'The request is invalid.',
    details: reason ? { reason } : {},
  };
}
