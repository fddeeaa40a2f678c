import { namedError } from '@app/common';

export class NotOrgAuditorError extends namedError(
  'FORBIDDEN',
  'not_org_admin',
  "reading an organisation's audit log takes an owner or admin of it",
) {
  constructor() {
    super("Only the organisation's owners and admins can read its audit log.");
  }
}

export class AuditUnavailableError extends namedError(
  'INTERNAL',
  'audit_unavailable',
  'entries waiting to be written could not be written yet (the database is unreachable)',
) {
  constructor() {
    super('The audit log cannot be read right now; try again shortly.');
  }
}
