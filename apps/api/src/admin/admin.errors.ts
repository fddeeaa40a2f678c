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

export class NotKilledError extends namedError(
  'CONFLICT',
  'not_killed',
  'the plugin is not killed; nothing to revive',
) {
  constructor() {
    super('This plugin is not killed.');
  }
}

export class UnknownVersionsError extends namedError(
  'PLUGIN_NOT_FOUND',
  'unknown_versions',
  'a version to kill is not a version of this plugin',
) {
  constructor(versions: string[]) {
    super(`No such version: ${versions.join(', ')}.`, { versions });
  }
}
