import { type FieldError, fieldsError } from '@app/common';
import { GrantNotRequestedError } from '../installation/installation.errors.js';
import type { PermissionsRefusal } from './permission-change.js';

export class GrantAndRevokeError extends fieldsError(
  'VALIDATION_ERROR',
  'granted_and_revoked',
  'one request both grants and revokes a capability (or host)',
  'A capability cannot be granted and revoked by the same request.',
) {}

export class LimitAboveMaximumError extends fieldsError(
  'VALIDATION_ERROR',
  'above_platform_maximum',
  'a resource limit is above the platform maximum',
  'Resource limits can be granted up to the platform maximums only.',
) {}

export class AboveSecurityLevelError extends fieldsError(
  'VALIDATION_ERROR',
  'above_security_level',
  'a granted capability is riskier than the installation’s security level',
  'The installation’s security level does not allow every granted capability.',
) {}

/** The named error of each refusal of planPermissions. */
export function permissionsRefusal(reason: PermissionsRefusal, errors: FieldError[]): Error {
  switch (reason) {
    case 'grant_not_requested':
      return new GrantNotRequestedError(errors.map((e) => ({ ...e })));
    case 'granted_and_revoked':
      return new GrantAndRevokeError(errors);
    case 'above_platform_maximum':
      return new LimitAboveMaximumError(errors);
    case 'above_security_level':
      return new AboveSecurityLevelError(errors);
  }
}
