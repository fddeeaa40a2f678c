import { namedError, notFound } from '@app/common';

export class PluginKeyTakenError extends namedError('CONFLICT', 'key_taken', 'the key belongs to another plugin') {
  constructor(key: string) {
    super(`The plugin key ${key} is already taken.`, { key });
  }
}

export class PluginKeyRetiredError extends namedError(
  'CONFLICT',
  'key_unpublished',
  'the plugin was unpublished; its key is never reused',
) {
  constructor(key: string) {
    super(`The plugin ${key} was unpublished; its key cannot be reused.`, { key });
  }
}

export class VersionReusedError extends namedError(
  'CONFLICT',
  'version_reused',
  'this version (ignoring build metadata) was published before; versions are immutable',
) {
  constructor(key: string, version: string) {
    super(`${key}@${version} has already been published; versions cannot be reused.`, { key, version });
  }
}

export class StaleWriteError extends namedError('CONFLICT', 'stale_write', 'the version changed meanwhile; retry') {
  constructor() {
    super('The version changed meanwhile; try again.');
  }
}

export class NotADraftError extends namedError('CONFLICT', 'not_draft', 'only a draft can be submitted for review') {
  constructor(status: string) {
    super(`Only drafts can be submitted; this version is ${status}.`, { status });
  }
}

export class DraftNotSubmittedError extends namedError(
  'CONFLICT',
  'draft_not_submitted',
  'a draft must be submitted by its owners before it is reviewed',
) {
  constructor() {
    super('This version is a draft; its owner has not submitted it for review.', { status: 'draft' });
  }
}

export class PluginInstalledError extends namedError(
  'CONFLICT',
  'installed',
  'the plugin is still installed somewhere',
) {
  constructor(key: string, installations: number) {
    super(`${key} is installed ${installations} time(s); uninstall it first.`, { installations });
  }
}

export class DependentsInstalledError extends namedError(
  'PLUGIN_DEPENDENCY_ERROR',
  'installed_dependents',
  'installed plugins depend on it',
) {
  constructor(key: string, dependents: number) {
    super(`${dependents} installed plugin(s) depend on ${key}.`, { dependents });
  }
}

export class NotRatableError extends namedError(
  'CONFLICT',
  'not_approved',
  'only plugins with an approved version can be rated',
) {
  constructor() {
    super('Only plugins with an approved version can be rated.');
  }
}

export class PackageTooLargeError extends namedError(
  'LIMIT_EXCEEDED',
  'package_too_large',
  'the manifest and files exceed the upload limit (PLUGHUB_MAX_UPLOAD_BYTES)',
) {
  constructor(limit: number, actual: number) {
    super(`The package is ${actual} bytes; the limit is ${limit}.`, { limit, actual });
  }
}

export class ReservedPublisherError extends namedError(
  'FORBIDDEN',
  'reserved_publisher',
  'keys under `plughub.` belong to the plugins shipped with the server',
) {
  constructor(publisher: string) {
    super(`Keys under "${publisher}." are reserved for the plugins shipped with Plughub.`);
  }
}

export class PublisherNotYoursError extends namedError(
  'FORBIDDEN',
  'publisher_not_yours',
  "a new key's first segment must be the owner's publisher name: your handle, or the slug of the owning organisation",
) {
  constructor(publisher: string) {
    super(
      `Keys under "${publisher}." are not yours: start the key with your handle or the owning organisation's slug.`,
    );
  }
}

export class ScopeChangeOnPublishError extends namedError(
  'CONFLICT',
  'scope_change_on_publish',
  "a new version cannot change the plugin's scope; change it with PATCH /api/plugins/{plugin}/",
) {
  constructor(scope: string) {
    super(`This plugin's scope is "${scope}"; change it with PATCH, not by publishing.`, { scope });
  }
}

export class NotPluginManagerError extends namedError(
  'FORBIDDEN',
  'not_owner',
  "only the plugin's owners (or a platform admin) may do this",
) {
  constructor(what: string) {
    super(`Only the owners of this plugin may ${what}.`);
  }
}

export class PublisherRoleRequiredError extends namedError(
  'FORBIDDEN',
  'publisher_role',
  'org and public scope need the `publisher` platform role',
) {
  constructor(scope: string) {
    super(`Publishing with ${scope} scope needs the publisher role.`);
  }
}

export class OrgPublishingForbiddenError extends namedError(
  'FORBIDDEN',
  'not_org_manager',
  'publishing for an organisation takes one of its owners or admins',
) {
  constructor() {
    super('Only owners and admins of the organisation may publish plugins for it.');
  }
}

export class OwnPluginRatingError extends namedError('FORBIDDEN', 'own_plugin', 'you cannot rate a plugin you manage') {
  constructor() {
    super('You cannot rate your own plugin.');
  }
}

export class ReviewerRoleRequiredError extends namedError(
  'FORBIDDEN',
  'reviewer_role',
  'reviewing takes the `reviewer` platform role',
) {
  constructor() {
    super('Reviewing plugin versions needs the reviewer role.');
  }
}

export class NotPendingError extends namedError(
  'CONFLICT',
  'not_pending',
  'only a version waiting for review (pending) can be approved or rejected',
) {
  constructor(status: string) {
    super(`Only pending versions are reviewed; this version is ${status}.`, { status });
  }
}

export class SelfApprovalError extends namedError(
  'FORBIDDEN',
  'self_approval',
  'a reviewer may not approve a plugin they own, manage or published',
) {
  constructor() {
    super('You cannot approve your own plugin; another reviewer must.');
  }
}

export class ReviewNotesRequiredError extends namedError(
  'VALIDATION_ERROR',
  'notes_required',
  'rejecting a version needs notes telling its owner why',
) {
  constructor() {
    super('Rejecting a version needs notes.', {}, [{ field: 'notes', message: 'required when rejecting' }]);
  }
}

/** What may not be seen is not found: never 403. */
export const pluginNotFound = () => notFound('Plugin', 'PLUGIN_NOT_FOUND');
export const versionNotFound = () => notFound('Plugin version', 'PLUGIN_NOT_FOUND');
