import { AppError, type FieldError } from './app-error.js';
import type { ErrorCode } from './error-codes.js';

/** What the OpenAPI document says about a named error: its code, its `details.reason` and when it happens. */
export interface ErrorKind {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly description: string;
}

/**
 * Base class of a module's named errors (`x.errors.ts`). The code gives the HTTP status; `details.reason`
 * (snake_case) tells apart the causes one code covers, so clients and tests never read messages:
 *
 *   export class PluginKeyTakenError extends namedError('CONFLICT', 'key_taken', 'the key belongs to another plugin') {
 *     constructor(key: string) { super(`The plugin key ${key} is already taken.`, { key }); }
 *   }
 *
 * List the classes an operation can throw in `@ApiErrors(...)`: that documents the status and the reasons in the
 * operation's description, from the same class the service throws.
 */
export function namedError(code: ErrorCode, reason: string, description: string) {
  abstract class NamedError extends AppError {
    static readonly code: ErrorCode = code;
    static readonly reason: string = reason;
    static readonly description: string = description;

    constructor(message: string, details: Record<string, unknown> = {}, errors: FieldError[] = []) {
      super(code, message, errors, { ...details, reason });
      this.name = new.target.name;
    }
  }
  return NamedError;
}

/**
 * A named error whose only content is the field errors it lists (`errors`), with one fixed message:
 *
 *   export class GrantAndRevokeError extends fieldsError('VALIDATION_ERROR', 'granted_and_revoked', 'one request
 *     both grants and revokes a capability', 'A capability cannot be granted and revoked by the same request.') {}
 */
export function fieldsError(code: ErrorCode, reason: string, description: string, message: string) {
  abstract class FieldsError extends namedError(code, reason, description) {
    constructor(errors: FieldError[]) {
      super(message, {}, errors);
    }
  }
  return FieldsError;
}
