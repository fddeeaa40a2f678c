import { namedError, notFound, unauthenticated } from '@app/common';

export class SignupDisabledError extends namedError(
  'FORBIDDEN',
  'signup_disabled',
  'self sign-up is off on this instance (PLUGHUB_OPEN_SIGNUP)',
) {
  constructor() {
    super('Self sign-up is disabled on this instance; ask an administrator for an account.');
  }
}

export class TokenScopeEscalationError extends namedError(
  'FORBIDDEN',
  'scope_escalation',
  'a scoped API token may only create tokens with a subset of its own scopes',
) {
  constructor() {
    super('A scoped token can only create tokens with a subset of its own scopes.');
  }
}

export class ReadOnlyTokenError extends namedError(
  'FORBIDDEN',
  'token_read_only',
  'the API token lacks the `write` scope this method needs',
) {
  constructor() {
    super('This API token is read-only (scope "read").');
  }
}

export class TokenLacksAdminScopeError extends namedError(
  'FORBIDDEN',
  'token_not_admin',
  'the API token lacks the `admin` scope an admin route needs',
) {
  constructor() {
    super('This API token lacks the "admin" scope.');
  }
}

export class MissingRoleError extends namedError(
  'FORBIDDEN',
  'missing_role',
  'the route needs a platform role you lack',
) {
  constructor(roles: string[]) {
    super(`This action requires one of the roles: ${roles.join(', ')}.`, { roles });
  }
}

export class TokenAlreadyExpiredError extends namedError(
  'VALIDATION_ERROR',
  'already_expired',
  'expires_at lies in the past',
) {
  constructor() {
    super('The token would already be expired.', {}, [{ field: 'expires_at', message: 'must be in the future' }]);
  }
}

export const badCredentials = () => unauthenticated('Invalid email or password.');
export const apiTokenNotFound = () => notFound('API token');

export class LoginRateLimitedError extends namedError(
  'RATE_LIMITED',
  'too_many_failed_logins',
  'too many failed logins for this account or from this address; retry after `Retry-After` seconds',
) {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many failed logins; try again later.', { retry_after: retryAfterSeconds });
  }
}
