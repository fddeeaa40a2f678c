import { ERROR_STATUS, type ErrorCode } from './error-codes.js';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * A domain error a client may see. Services throw these; the global filter turns them into the
 * one error envelope. The status always follows from the code, so the two cannot disagree.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: FieldError[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = 'Resource', code: 'NOT_FOUND' | 'PLUGIN_NOT_FOUND' = 'NOT_FOUND') =>
  new AppError(code, `${what} not found.`);

export const forbidden = (message = 'You do not have permission to perform this action.') =>
  new AppError('FORBIDDEN', message);

export const unauthenticated = (message = 'Authentication credentials were not provided or are invalid.') =>
  new AppError('UNAUTHENTICATED', message);

export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new AppError('CONFLICT', message, [], details);

export const validationError = (errors: FieldError[], message = 'The request is invalid.') =>
  new AppError('VALIDATION_ERROR', message, errors);
