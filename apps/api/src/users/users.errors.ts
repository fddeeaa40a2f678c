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

export class HandleTakenError extends namedError(
  'CONFLICT',
  'handle_taken',
  'another user or an organisation already has this handle (or it is reserved)',
) {
  constructor() {
    super('This handle is taken.', {}, [{ field: 'handle', message: 'is already taken' }]);
  }
}

export class CurrentPasswordRequiredError extends namedError(
  'VALIDATION_ERROR',
  'current_password_required',
  'changing your own password needs your current one in `current_password`',
) {
  constructor() {
    super('Send your current password to change it.', {}, [
      { field: 'current_password', message: 'is required to change your own password' },
    ]);
  }
}

export class WrongCurrentPasswordError extends namedError(
  'FORBIDDEN',
  'wrong_current_password',
  '`current_password` is not your current password',
) {
  constructor() {
    super('The current password is wrong.');
  }
}
