import { ApiExtension } from '@nestjs/swagger';
import { ERROR_STATUS } from '../errors/error-codes.js';
import type { ErrorKind } from '../errors/named-error.js';

export const ERROR_STATUSES_EXTENSION = 'x-error-statuses';
export const ERROR_REASONS_EXTENSION = 'x-error-reasons';

export type ExtraErrorStatus = 403 | 408 | 409 | 422 | 429;

/**
 * Declares error statuses an operation can answer beyond the ones every operation documents
 * (400, 401, 403, 404, 500); the spec generator turns each into a reference to the shared Error
 * response. An extension rather than @ApiResponse, so the inferred success response stays intact.
 */
export function ApiErrorResponses(...statuses: ExtraErrorStatus[]) {
  return ApiExtension(ERROR_STATUSES_EXTENSION, statuses);
}

/**
 * Declares the named errors (see `namedError`) an operation can throw: their statuses become error responses and
 * their `details.reason` values are listed in the operation's description. Use it instead of ApiErrorResponses on
 * an operation, not with it.
 */
export function ApiErrors(...kinds: ErrorKind[]): MethodDecorator {
  const statuses = [...new Set(kinds.map((k) => ERROR_STATUS[k.code] as number))].sort((a, b) => a - b);
  const reasons = kinds.map((k) => ({
    status: ERROR_STATUS[k.code],
    code: k.code,
    reason: k.reason,
    description: k.description,
  }));
  return (target, key, descriptor) => {
    if (statuses.length) ApiExtension(ERROR_STATUSES_EXTENSION, statuses)(target, key, descriptor);
    ApiExtension(ERROR_REASONS_EXTENSION, reasons)(target, key, descriptor);
  };
}
