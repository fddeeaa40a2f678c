import { namedError, notFound } from '@app/common';

export class EmailTakenError extends namedError('CONFLICT', 'email_taken', 'another user has this email address') {
  constructor() {
    super('A user with this email already exists.', {}, [{ field: 'email', message: 'is already taken' }]);
  }
}

export class LastAdminError extends namedError(
  'CONFLICT',
  'last_admin',
  'the change would leave the instance without an active platform admin',
) {
  constructor() {
    super('This is the last active admin; promote another admin first.');
  }
}

export class AdminOnlyChangeError extends namedError(
  'FORBIDDEN',
  'admin_only',
  'only platform admins change roles or deactivate users',
) {
  constructor() {
    super('Only platform admins can change roles or deactivate users.');
  }
}

/** Also what a user gets for someone else's account: invisible, not forbidden. */
export const userNotFound = () => notFound('User');
