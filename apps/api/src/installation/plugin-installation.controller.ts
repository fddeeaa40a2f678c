import { Body, Delete, Get, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiController, Authenticated, CurrentUser, Endpoint, ListRoute, Paging, PostAction, Twin } from '@app/common';
import type { EndpointOptions } from '@app/common';
import { PluginKeyParam, UploadBody } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import type { FastifyReply } from 'fastify';
import {
  ActivatePluginDto,
  DisablePluginDto,
  EnablePluginDto,
  InstallPluginDto,
  ReloadPluginsDto,
  RestartPluginDto,
  UninstallPluginDto,
} from './dto/install-plugin.dto.js';
import { InstallResultDto } from './dto/install-result.dto.js';
import {
  InstallationTargetQueryDto,
  PagedInstallationTargetQueryDto,
  UninstallQueryDto,
} from './dto/installation-query.dto.js';
import { InstallationResponseDto } from './dto/installation-response.dto.js';
import { PluginRegistryStatusDto, PluginReloadResultDto } from './dto/registry-status.dto.js';
import { UninstallResultDto } from './dto/uninstall.dto.js';
import { InstallationBackupDto, RollbackPluginDto, UpdatePluginDto, UpdateResultDto } from './dto/update.dto.js';
import { Idempotent } from './idempotency.interceptor.js';
import { InstallService } from './install.service.js';
import {
  BackupNotFoundError,
  DeactivateFirstError,
  DependencyInactiveError,
  DependencyTooComplexError,
  GrantNotRequestedError,
  IDEMPOTENCY_ERRORS,
  INSTALLATION_WRITE_ERRORS,
  InstalledDependentsError,
  IntegrityMismatchError,
  InvalidConfigError,
  InvalidTransitionError,
  MissingRequiredSettingsError,
  NotInstallationManagerError,
  NotInstalledError,
  OperationInProgressError,
  PackageInvalidError,
  PackageKeyMismatchError,
  PackageUnreadableError,
  PluginAlreadyInstalledError,
  PluginKilledError,
  PluginStartupFailedError,
  ReloadInProgressError,
  RESOLUTION_ERRORS,
  RollbackConflictError,
  SecretUnreadableError,
  SourceDryRunError,
  SourceFieldsError,
  TargetMismatchError,
  UnknownPluginError,
  UpToDateError,
  UrlAddressNotAllowedError,
  UrlFetchFailedError,
  UrlNotAllowedError,
  UrlNotHttpsError,
} from './installation.errors.js';
import { LifecycleService } from './lifecycle.service.js';
import { PackageTooLargeError, PublisherNotYoursError, VersionReusedError } from '../registry/registry.errors.js';
import { RegistryStatusService } from './registry-status.service.js';
import { UpdateService } from './update.service.js';

const TARGET_NOTE =
  ' The target is chosen with `scope` (user, the default: yours; org with `org`; global) and `org` (slug or id).';
/** What every state transition of an existing installation can answer. */
const TRANSITION_ERRORS = [...INSTALLATION_WRITE_ERRORS, InvalidTransitionError] as const;
/** What starting its runtime instance can add. */
const START_ERRORS = [
  PluginKilledError,
  MissingRequiredSettingsError,
  DependencyInactiveError,
  PluginStartupFailedError,
  PackageUnreadableError,
  SecretUnreadableError,
] as const;

/**
 * A state transition of an installation in the target the query names: a POST of `:plugin/<action>` answering 200,
 * documented with TARGET_NOTE after its description and able to answer TRANSITION_ERRORS besides its own.
 */
const Transition = (action: string, { description = '', errors = [], ...options }: EndpointOptions) =>
  PostAction(`:plugin/${action}`, {
    ...options,
    description: description + TARGET_NOTE,
    errors: [...TRANSITION_ERRORS, ...errors],
  });

/** What uninstalling can answer, by either method. */
const UNINSTALL_ERRORS = [
  ...INSTALLATION_WRITE_ERRORS,
  ...IDEMPOTENCY_ERRORS,
  DeactivateFirstError,
  InstalledDependentsError,
  InvalidTransitionError,
] as const;
/** What `source: upload` and `source: url` add to an install. */
const SOURCE_ERRORS = [
  SourceFieldsError,
  SourceDryRunError,
  PackageKeyMismatchError,
  UrlNotAllowedError,
  UrlNotHttpsError,
  UrlAddressNotAllowedError,
  UrlFetchFailedError,
  IntegrityMismatchError,
  PackageInvalidError,
  PackageTooLargeError,
  VersionReusedError,
  PublisherNotYoursError,
] as const;

/** Installing, starting, stopping and removing a plugin in a target (the installation row of §4). */
@ApiController('installation', 'plugins')
@Twin(
  'uninstallPatch',
  'uninstall',
  Patch(':plugin/uninstall'),
  Idempotent(),
  ApiOkResponse({ type: UninstallResultDto }),
  Endpoint({
    summary: 'Uninstall a deactivated plugin',
    description: 'The same as PUT …/uninstall/.' + TARGET_NOTE,
    errors: UNINSTALL_ERRORS,
  }),
)
@Twin(
  'activatePatch',
  'activate',
  Patch(':plugin/activate'),
  ApiOkResponse({ type: InstallationResponseDto }),
  Endpoint({
    summary: 'Activate or deactivate a plugin',
    description: 'The same as PUT …/activate/.' + TARGET_NOTE,
    errors: [...TRANSITION_ERRORS, ...START_ERRORS],
  }),
)
export class PluginInstallationController {
  constructor(
    private readonly installer: InstallService,
    private readonly lifecycle: LifecycleService,
    private readonly registry: RegistryStatusService,
    private readonly updates: UpdateService,
  ) {}

  @Post(':plugin/install')
  @UploadBody()
  @Idempotent()
  @ApiCreatedResponse({ type: InstallResultDto, description: 'Installed (and started, with auto_enable).' })
  @ApiOkResponse({ type: InstallResultDto, description: 'The plan of a dry run; nothing was changed.' })
  @Endpoint({
    summary: 'Install a plugin',
    description:
      'Installs the plugin with its dependencies (resolved transitively in the same target) and, with ' +
      '`auto_enable` (default true), starts them in dependency order. `version` is a dist-tag, an exact version ' +
      'or a semver range; `dry_run` answers the plan (200) and changes nothing. Settings are checked against ' +
      'each manifest; `grants` omitted grants everything requested. A start-up failure answers 500 ' +
      'PLUGIN_STARTUP_FAILED with the plugin’s message and leaves the installation `failed`. `source: upload` ' +
      'publishes the `package` of the body as a private version of the plugin (owned by the organisation for an ' +
      'org install) and installs it; `source: url` fetches the package from an origin in ' +
      'PLUGHUB_INSTALL_URL_ALLOWLIST (https, or http from a listed loopback origin; no redirects; a host name must ' +
      'resolve to public addresses only; at most PLUGHUB_MAX_UPLOAD_BYTES), checks it against `integrity` and ' +
      'installs it the same way. Such a body may be as large as the upload limit.' +
      TARGET_NOTE,
    errors: [
      ...IDEMPOTENCY_ERRORS,
      ...RESOLUTION_ERRORS,
      ...SOURCE_ERRORS,
      UnknownPluginError,
      DependencyTooComplexError,
      PluginAlreadyInstalledError,
      PluginKilledError,
      InvalidConfigError,
      MissingRequiredSettingsError,
      GrantNotRequestedError,
      TargetMismatchError,
      NotInstallationManagerError,
      OperationInProgressError,
      PluginStartupFailedError,
      PackageUnreadableError,
    ],
  })
  async install(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: InstallPluginDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InstallResultDto> {
    const result = await this.installer.install(caller, key, dto, query);
    void reply.status(result.dry_run ? 200 : 201);
    return result;
  }

  @Delete(':plugin/install')
  @Idempotent()
  @Endpoint({
    summary: 'Uninstall a plugin (deactivating it first)',
    description:
      'NetPad’s uninstall: stops the installation if it runs, then removes it. Refused while installed plugins ' +
      'of the same target depend on it, unless `force`. `delete_config` (default true) removes its settings and ' +
      'plugin storage; false keeps them for a later install in the target.' +
      TARGET_NOTE,
    errors: [...INSTALLATION_WRITE_ERRORS, ...IDEMPOTENCY_ERRORS, InstalledDependentsError, InvalidTransitionError],
  })
  uninstallInOneCall(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: UninstallQueryDto,
  ): Promise<UninstallResultDto> {
    const options = { deleteConfig: query.delete_config, force: query.force };
    return this.lifecycle.uninstall(caller, key, query, options, true);
  }

  @Put(':plugin/uninstall')
  @Idempotent()
  @Endpoint({
    summary: 'Uninstall a deactivated plugin',
    description:
      'InvenTree’s uninstall: an active installation must be deactivated first (409 `deactivate_first`). ' +
      '`delete_config` (default true) removes settings and plugin storage; `force` uninstalls although ' +
      'installed plugins of the target depend on it.' +
      TARGET_NOTE,
    errors: UNINSTALL_ERRORS,
  })
  uninstall(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: UninstallPluginDto,
  ): Promise<UninstallResultDto> {
    return this.lifecycle.uninstall(caller, key, query, { deleteConfig: dto.delete_config, force: dto.force });
  }

  @Put(':plugin/activate')
  @Endpoint({
    summary: 'Activate or deactivate a plugin',
    description:
      'Sets the desired state (InvenTree): `active` true (the default) starts it, false stops it; asking for ' +
      'the state it is in already changes nothing.' +
      TARGET_NOTE,
    errors: [...TRANSITION_ERRORS, ...START_ERRORS],
  })
  activate(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: ActivatePluginDto,
  ): Promise<InstallationResponseDto> {
    return this.lifecycle.setActive(caller, key, query, dto.active ?? true);
  }

  @Transition('enable', {
    summary: 'Enable a plugin',
    description: 'Starts a disabled or failed installation; 409 `invalid_state` when it is active already.',
    errors: START_ERRORS,
  })
  enable(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: EnablePluginDto,
  ): Promise<InstallationResponseDto> {
    return this.lifecycle.enable(caller, key, query, dto.reason);
  }

  @Transition('disable', {
    summary: 'Disable a plugin',
    description:
      'Stops an active or failed installation (its onCleanup runs). `graceful_shutdown` false answers without ' +
      'waiting for onCleanup; `timeout_seconds` bounds the wait.',
  })
  disable(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: DisablePluginDto,
  ): Promise<InstallationResponseDto> {
    return this.lifecycle.disable(caller, key, query, {
      reason: dto.reason,
      graceful: dto.graceful_shutdown,
      timeoutSeconds: dto.timeout_seconds,
    });
  }

  @Transition('restart', {
    summary: 'Restart a plugin',
    description: 'Stops and starts an active or failed installation (how a failed one is retried).',
    errors: START_ERRORS,
  })
  restart(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: RestartPluginDto,
  ): Promise<InstallationResponseDto> {
    return this.lifecycle.restart(caller, key, query, dto.reason);
  }

  @Transition('update', {
    summary: 'Update a plugin',
    description:
      'Moves the installation to another version (`version`: a dist-tag, an exact version or a range; default ' +
      '`latest`), adding or raising the dependencies it needs in the target, through the operation journal. ' +
      '`backup_current` (default true) keeps the current version, settings and grants to roll back to. Settings ' +
      'the new version still accepts are kept (`update_config` true resets plain ones to its defaults; `config` ' +
      'sets values); capabilities it newly requests are not granted but listed in `pending_grants`. With ' +
      '`restart_plugin` (default true) an installation that is on starts on the new version; if it does not ' +
      'start, the update is undone by itself and the answer is `status: rolled_back` with the plugin’s error ' +
      'in `reason`.',
    errors: [
      ...IDEMPOTENCY_ERRORS,
      ...RESOLUTION_ERRORS,
      UpToDateError,
      DependencyTooComplexError,
      PluginKilledError,
      InvalidConfigError,
      MissingRequiredSettingsError,
      PackageUnreadableError,
    ],
  })
  @Idempotent()
  update(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: UpdatePluginDto,
  ): Promise<UpdateResultDto> {
    return this.updates.update(caller, key, query, dto);
  }

  @Transition('rollback', {
    summary: 'Roll a plugin back',
    description:
      'Puts back a backup an update kept (`backup_id`, default the newest): its version, settings and grants. ' +
      'Refused (409 `rollback_conflict`) when that version does not fit the plugins installed in the target now. ' +
      'The backup is used up. If the restored version does not start, nothing changes and the answer is ' +
      '`status: rolled_back`.',
    errors: [
      ...IDEMPOTENCY_ERRORS,
      BackupNotFoundError,
      RollbackConflictError,
      PluginKilledError,
      MissingRequiredSettingsError,
      PackageUnreadableError,
    ],
  })
  @Idempotent()
  rollback(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: InstallationTargetQueryDto,
    @Body() dto: RollbackPluginDto,
  ): Promise<UpdateResultDto> {
    return this.updates.rollback(caller, key, query, dto.backup_id);
  }

  @ListRoute(InstallationBackupDto, {
    path: ':plugin/backups',
    summary: 'List the backups of a plugin',
    description:
      'The versions updates kept to roll back to, newest first (at most five); secret settings are masked.' +
      TARGET_NOTE,
    errors: [NotInstalledError],
  })
  backups(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: PagedInstallationTargetQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InstallationBackupDto>> {
    return this.updates.backups(caller, key, query, window);
  }

  @PostAction('reload', {
    summary: 'Reload the plugins',
    description:
      'Brings the runtime in line with the stored installations: starts those that should run and do not, ' +
      'stops instances nothing wants. `force_reload` also restarts those running another version, ' +
      '`full_reload` restarts all of them, `collect_plugins` registers the shipped plugins again first. A ' +
      'reload without failures clears the registry errors. 409 while one (or the start-up load) runs. Admins.',
    errors: [ReloadInProgressError],
  })
  @Authenticated({ roles: ['admin'] })
  reload(@Body() dto: ReloadPluginsDto): Promise<PluginReloadResultDto> {
    return this.registry.reload(dto);
  }

  @Get('status')
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Plugin registry status',
    description:
      'How many installations run on this node, and the problems met loading, checking, starting and ' +
      'recovering them since the last successful reload. Admins.',
  })
  status(): PluginRegistryStatusDto {
    return this.registry.status();
  }
}
