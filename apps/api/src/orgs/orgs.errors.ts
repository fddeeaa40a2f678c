import { namedError, notFound } from '@app/common';

export class OrgSlugTakenError extends namedError('CONFLICT', 'slug_taken', 'another organisation has this slug') {
  constructor() {
    super('An organisation with this slug already exists.', {}, [{ field: 'slug', message: 'is already taken' }]);
  }
}

export class LastOwnerError extends namedError(
  'CONFLICT',
  'last_owner',
  'the organisation would be left without an owner',
) {
  constructor() {
    super('An organisation must keep at least one owner.');
  }
}

export class NotOrgManagerError extends namedError(
  'FORBIDDEN',
  'not_manager',
  'managing members takes an owner or admin of the organisation',
) {
  constructor() {
    super('Only organisation owners and admins can manage members.');
  }
}

export class OwnersOnlyError extends namedError(
  'FORBIDDEN',
  'owners_only',
  'making, changing or removing an owner takes an owner of the organisation',
) {
  constructor() {
    super('Only owners can make someone an owner or change or remove an owner.');
  }
}

export class UnknownUserError extends namedError('VALIDATION_ERROR', 'unknown_user', 'no user has this id or email') {
  constructor() {
    super('No such user.', {}, [{ field: 'user', message: 'does not exist' }]);
  }
}

export const orgNotFound = () => notFound('Organisation');
export const memberNotFound = () => notFound('Member');

export class InvitationClosedError extends namedError(
  'CONFLICT',
  'invitation_closed',
  'the invitation was already accepted, declined or revoked',
) {
  constructor(status: string) {
    super(`This invitation is ${status}.`, { status });
  }
}

export class InvitationExpiredError extends namedError(
  'CONFLICT',
  'invitation_expired',
  'the invitation expired; ask for a new one',
) {
  constructor(expiredAt: Date) {
    super('This invitation has expired.', { expired_at: expiredAt.toISOString() });
  }
}

/** An unknown token, another account's invitation or another organisation's: not found, never 403. */
export const invitationNotFound = () => notFound('Invitation');
