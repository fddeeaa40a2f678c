import { fieldsError, namedError, notFound } from '@app/common';
import type { Conflict } from './dependency-resolver.js';
import type { InstallationStatus } from './installation.entity.js';

// ---- resolution --------------------------------------------------------------------------------------------------

export class UnknownPluginError extends namedError(
  'PLUGIN_NOT_FOUND',
  'unknown_plugin',
  'no plugin with this key exists, or you may not see it',
) {
  constructor(key: string) {
    super(`No plugin ${key} is available to you.`, { key });
  }
}

export class NoMatchingVersionError extends namedError(
  'PLUGIN_NOT_FOUND',
  'no_matching_version',
  'no version you may install matches the requested tag, version or range',
) {
  constructor(key: string, spec: string) {
    super(`No installable version of ${key} matches "${spec}".`, { key, spec });
  }
}

export class PlatformIncompatibleError extends namedError(
  'PLUGIN_INCOMPATIBLE',
  'platform_mismatch',
  'versions match the request but none supports this platform version (their `engines.plughub`)',
) {
  constructor(key: string, spec: string, platform: string, versions: Array<{ version: string; engines: string }>) {
    super(`No version of ${key} matching "${spec}" supports Plughub ${platform}.`, { key, spec, platform, versions });
  }
}

/** The resolver's dependency failures, one named error per `details.reason`; `details.conflicts` lists each. */
const dependencyError = (reason: string, description: string) =>
  class extends namedError('PLUGIN_DEPENDENCY_ERROR', reason, description) {
    constructor(key: string, spec: string, conflicts: Conflict[]) {
      super(`The dependencies of ${key}@${spec} cannot be satisfied (${reason}).`, { key, spec, conflicts });
    }
  };

export class DependencyUnsatisfiableError extends dependencyError(
  'unsatisfiable',
  'the version ranges on a plugin (of the request, the plan, or installed plugins) cannot all be met',
) {}
export class DependencyCycleError extends dependencyError(
  'cycle',
  'the chosen versions depend on each other in a ring',
) {}
export class DependencyNotFoundError extends dependencyError(
  'not_found',
  'no installable version of a dependency satisfies the range required of it',
) {}
export class DependencyIncompatibleError extends dependencyError(
  'no_compatible_version',
  'versions of a dependency satisfy its range but none supports this platform version',
) {}
export class DependencyTooComplexError extends dependencyError(
  'too_complex',
  'the dependency search gave up (the registry makes it too large)',
) {}

export class PluginAlreadyInstalledError extends namedError(
  'PLUGIN_ALREADY_INSTALLED',
  'already_installed',
  'the plugin is installed in this target already (use force_reinstall, or update)',
) {
  constructor(key: string, installationId: string, version: string) {
    super(`${key} is already installed here (version ${version}).`, {
      key,
      installation_id: installationId,
      installed_version: version,
    });
  }
}

export class PluginKilledError extends namedError(
  'PLUGIN_KILLED',
  'plugin_killed',
  'an administrator disabled this plugin everywhere (the kill switch)',
) {
  constructor(key: string, killReason?: string | null) {
    super(`${key} was disabled everywhere by an administrator.`, {
      key,
      ...(killReason ? { kill_reason: killReason } : {}),
    });
  }
}

export class InstalledDependentsError extends namedError(
  'PLUGIN_DEPENDENCY_ERROR',
  'installed_dependents',
  'plugins installed in the same target depend on it (uninstall them first, or use force)',
) {
  constructor(key: string, dependents: Array<{ key: string; version: string; range: string }>) {
    super(`${dependents.length} installed plugin(s) here depend on ${key}.`, { key, dependents });
  }
}

export class DependencyInactiveError extends namedError(
  'PLUGIN_DEPENDENCY_ERROR',
  'dependency_inactive',
  'a plugin it depends on is not installed and active in the same target (activate that first)',
) {
  constructor(key: string, dependencies: Array<{ key: string; status: InstallationStatus | 'not_installed' }>) {
    super(`${key} needs ${dependencies.map((d) => d.key).join(', ')} active first.`, { key, dependencies });
  }
}

// ---- configuration and grants ----------------------------------------------------------------------------------

export class InvalidConfigError extends fieldsError(
  'PLUGIN_CONFIGURATION_ERROR',
  'invalid_config',
  "a setting value does not fit the plugin's settings schema; `errors` lists every bad field",
  'The configuration does not fit the plugin’s settings.',
) {}

export class MissingRequiredSettingsError extends namedError(
  'PLUGIN_CONFIGURATION_ERROR',
  'missing_required_settings',
  'it cannot be activated while a required setting has no value; `details.missing` names each (`config.<key>`)',
) {
  /** `missing`: each setting as a request field, `config.<key>` (or `dependency_config.<plugin>.<key>`). */
  constructor(key: string, missing: string[]) {
    super(
      `${key} cannot be activated without ${missing.join(', ')}.`,
      { key, missing },
      missing.map((field) => ({ field, message: 'is required' })),
    );
  }
}

export class SecretUnreadableError extends namedError(
  'PLUGIN_CONFIGURATION_ERROR',
  'secret_unreadable',
  'a stored secret setting cannot be decrypted with the configured key (set it again)',
) {
  constructor(key: string, setting: string) {
    super(`The secret setting ${setting} of ${key} cannot be decrypted; set it again.`, { key, setting });
  }
}

export class GrantNotRequestedError extends fieldsError(
  'VALIDATION_ERROR',
  'grant_not_requested',
  'a grant names a capability (or host) the manifest does not request',
  'Only capabilities the plugin requests can be granted.',
) {}

export class SourceFieldsError extends fieldsError(
  'VALIDATION_ERROR',
  'source_fields',
  '`package` goes with source upload, `url` and `integrity` with source url: required there, refused elsewhere',
  'The body does not match its install source.',
) {}

export class SourceDryRunError extends namedError(
  'VALIDATION_ERROR',
  'dry_run_store_only',
  'dry_run plans installs from the store; an upload or url install publishes the package first',
) {
  constructor(source: string) {
    super(`A dry run is not available for source ${source}.`, { source }, [
      { field: 'dry_run', message: 'only with source store' },
    ]);
  }
}

export class PackageKeyMismatchError extends namedError(
  'VALIDATION_ERROR',
  'key_mismatch',
  'the package is another plugin than the one in the path',
) {
  constructor(expected: string, actual: string) {
    super(`The package is ${actual}, not ${expected}.`, { expected, actual });
  }
}

export class PackageInvalidError extends namedError(
  'VALIDATION_ERROR',
  'package_invalid',
  'the fetched file is not a plugin package (a gzipped tar with package/manifest.json)',
) {
  constructor(problem: string) {
    super(`The fetched file is not a plugin package: ${problem}.`, { problem });
  }
}

export class UrlNotAllowedError extends namedError(
  'VALIDATION_ERROR',
  'url_not_allowed',
  'the URL’s origin is not in PLUGHUB_INSTALL_URL_ALLOWLIST (or the URL has credentials, or is not http(s))',
) {
  constructor(origin: string) {
    super(`Packages cannot be fetched from ${origin}.`, { origin }, [
      { field: 'url', message: 'its origin is not allowed' },
    ]);
  }
}

export class UrlNotHttpsError extends namedError(
  'VALIDATION_ERROR',
  'url_not_https',
  'packages are fetched over https only (http only from a listed loopback origin)',
) {
  constructor(origin: string) {
    super(`Packages are fetched over https; ${origin} is not.`, { origin }, [
      { field: 'url', message: 'must be https' },
    ]);
  }
}

export class UrlAddressNotAllowedError extends namedError(
  'VALIDATION_ERROR',
  'address_not_allowed',
  'the URL’s host resolves to a loopback, private, link-local or reserved address',
) {
  constructor(origin: string) {
    super(`${origin} resolves to an address packages cannot be fetched from.`, { origin }, [
      { field: 'url', message: 'resolves to a private or reserved address' },
    ]);
  }
}

export class UrlFetchFailedError extends namedError(
  'VALIDATION_ERROR',
  'url_fetch_failed',
  'the package could not be fetched (no answer, a non-2xx status, a redirect, or too slow)',
) {
  constructor(origin: string, problem: string, status?: number) {
    super(`Fetching the package from ${origin} failed: ${problem}.`, {
      origin,
      problem,
      ...(status !== undefined ? { status } : {}),
    });
  }
}

export class IntegrityMismatchError extends namedError(
  'VALIDATION_ERROR',
  'integrity_mismatch',
  'the fetched package does not match the `integrity` of the request',
) {
  constructor(expected: string, actual: string) {
    super('The fetched package does not match the integrity given.', { expected, actual }, [
      { field: 'integrity', message: 'does not match the fetched package' },
    ]);
  }
}

export class TargetMismatchError extends namedError(
  'VALIDATION_ERROR',
  'target_mismatch',
  'the body and the query name different targets',
) {
  constructor(field: 'scope' | 'org') {
    super(`The body's ${field} differs from the query's.`, {}, [
      { field, message: 'differs from the query parameter' },
    ]);
  }
}

// ---- state ---------------------------------------------------------------------------------------------------------

export class InvalidTransitionError extends namedError(
  'CONFLICT',
  'invalid_state',
  'the installation is not in a state that allows this (`details.status` names it)',
) {
  constructor(status: InstallationStatus, action: string) {
    super(`The installation is ${status}; it cannot ${action}.`, { status, action });
  }
}

export class DeactivateFirstError extends namedError(
  'CONFLICT',
  'deactivate_first',
  'an active installation must be deactivated before this uninstall (DELETE …/install/ does both)',
) {
  constructor() {
    super('The installation is active: deactivate it first, or use DELETE …/install/.', { status: 'active' });
  }
}

export class OperationInProgressError extends namedError(
  'CONFLICT',
  'operation_in_progress',
  'another install, update or uninstall is running in this target; retry when it is done',
) {
  constructor() {
    super('Another operation is changing this target’s installations; try again shortly.');
  }
}

export class ReloadInProgressError extends namedError(
  'CONFLICT',
  'reload_in_progress',
  'a reload (or the start-up load) is running; retry when it is done',
) {
  constructor() {
    super('A reload is already running.');
  }
}

export class IdempotencyKeyReusedError extends namedError(
  'CONFLICT',
  'idempotency_key_reused',
  'the Idempotency-Key was used before for a different request',
) {
  constructor() {
    super('This Idempotency-Key was used for a different request.');
  }
}

export class IdempotencyKeyInProgressError extends namedError(
  'CONFLICT',
  'idempotency_key_in_progress',
  'the first request with this Idempotency-Key is still running',
) {
  constructor() {
    super('The first request with this Idempotency-Key is still running; retry later.');
  }
}

// ---- access and start-up -----------------------------------------------------------------------------------------

export class NotInstallationManagerError extends namedError(
  'FORBIDDEN',
  'not_manager',
  "changing a target's installations takes that user, an owner or admin of the organisation, or a platform admin for global",
) {
  constructor() {
    super('You may see these installations but not change them.');
  }
}

export class PluginStartupFailedError extends namedError(
  'PLUGIN_STARTUP_FAILED',
  'startup_failed',
  "the plugin's onInit (or loading its runner) failed; the installation is `failed`",
) {
  constructor(key: string, installationId: string, pluginMessage: string) {
    super(`${key} failed to start: ${pluginMessage}`, {
      key,
      installation_id: installationId,
      plugin_message: pluginMessage,
    });
  }
}

export class PackageUnreadableError extends namedError(
  'PLUGIN_INSTALLATION_FAILED',
  'package_unreadable',
  'the stored package of the version cannot be loaded (no manifest or runner)',
) {
  constructor(key: string, version: string) {
    super(`The package of ${key}@${version} cannot be loaded.`, { key, version });
  }
}

export class NotInstalledError extends namedError(
  'PLUGIN_NOT_FOUND',
  'not_installed',
  'the plugin is not installed in this target (or you may not see that target)',
) {
  constructor(key: string) {
    super(`${key} is not installed here.`, { key });
  }
}

export const installationNotFound = () => notFound('Installation');

// ---- updates and backups -----------------------------------------------------------------------------------------

export class UpToDateError extends namedError(
  'CONFLICT',
  'up_to_date',
  'the requested version (or the newest one you may install) is the installed one',
) {
  constructor(key: string, version: string, spec: string) {
    super(`${key} is at ${version} already, the version "${spec}" resolves to.`, {
      key,
      installed_version: version,
      spec,
    });
  }
}

export class BackupNotFoundError extends namedError(
  'NOT_FOUND',
  'backup_not_found',
  'the installation keeps no backup with this id (or none at all)',
) {
  constructor(key: string, backupId: string | null) {
    super(backupId ? `${key} has no backup ${backupId}.` : `${key} has no backup to roll back to.`, {
      key,
      backup_id: backupId,
    });
  }
}

/** A range that rules a rollback out: of the backup's version on a dependency, or of a dependent on this plugin. */
export interface RollbackConflict {
  /** The plugin the range is on. */
  key: string;
  range: string;
  /** Who requires it: the backup's version, or an installed dependent. */
  by: { kind: 'backup' | 'installed'; key: string; version: string };
  /** The version installed (or rolled back to) that does not satisfy it; null when it is not installed. */
  installed: string | null;
}

export class RollbackConflictError extends namedError(
  'PLUGIN_DEPENDENCY_ERROR',
  'rollback_conflict',
  "the backup's version does not fit the target's installed plugins now; `details.conflicts` lists each range",
) {
  constructor(key: string, version: string, conflicts: RollbackConflict[]) {
    super(`${key} cannot go back to ${version}: ${conflicts.length} dependency range(s) rule it out.`, {
      key,
      version,
      conflicts,
    });
  }
}

// Groups of the errors above that several operations document: `@Endpoint({ errors: [...GROUP, OtherError] })`.

/** What every change to an existing installation can answer: not there, not the caller's to manage, or busy. */
export const INSTALLATION_WRITE_ERRORS = [
  NotInstalledError,
  NotInstallationManagerError,
  OperationInProgressError,
] as const;

/** What an operation that takes an `Idempotency-Key` adds. */
export const IDEMPOTENCY_ERRORS = [IdempotencyKeyReusedError, IdempotencyKeyInProgressError] as const;

/** What resolving a version and its dependencies in a target can answer. */
export const RESOLUTION_ERRORS = [
  NoMatchingVersionError,
  PlatformIncompatibleError,
  DependencyUnsatisfiableError,
  DependencyCycleError,
  DependencyNotFoundError,
  DependencyIncompatibleError,
] as const;
