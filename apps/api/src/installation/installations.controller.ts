import { Body, Delete, Get, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, ListRoute, ObjectIdParam, PaginationQueryDto } from '@app/common';
import { Paging, PluginKeyParam } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import type { FastifyReply } from 'fastify';
import { OrgEnablePluginDto } from './dto/install-plugin.dto.js';
import {
  InstallationListQueryDto,
  OrgDisableQueryDto,
  OrgPluginsQueryDto,
  OrgQueryDto,
} from './dto/installation-query.dto.js';
import { InstallationResponseDto } from './dto/installation-response.dto.js';
import { Idempotent } from './idempotency.interceptor.js';
import {
  DependencyInactiveError,
  GrantNotRequestedError,
  IDEMPOTENCY_ERRORS,
  INSTALLATION_WRITE_ERRORS,
  InvalidConfigError,
  InvalidTransitionError,
  MissingRequiredSettingsError,
  NotInstallationManagerError,
  OperationInProgressError,
  PluginKilledError,
  PluginStartupFailedError,
  RESOLUTION_ERRORS,
  UnknownPluginError,
} from './installation.errors.js';
import { InstallationsService } from './installations.service.js';
import { OrgPluginsService } from './org-plugins.service.js';

/** Installations as resources (GET /api/installations/, /{id}/). */
@ApiController('installation', 'installations')
export class InstallationsController {
  constructor(private readonly installations: InstallationsService) {}

  @ListRoute(InstallationResponseDto, {
    summary: 'List installations',
    description:
      'Installations of your targets (your own, your organisations’ and the global ones); every installation ' +
      'for platform admins. Filters: plugin, scope, org, user, status, update_available.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: InstallationListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InstallationResponseDto>> {
    return this.installations.list(caller, query, window);
  }

  @Get(':id')
  @Endpoint({ summary: 'Retrieve an installation', description: 'One installation you may see; 404 otherwise.' })
  retrieve(
    @CurrentUser() caller: AuthUser,
    @ObjectIdParam('id', 'installation') id: string,
  ): Promise<InstallationResponseDto> {
    return this.installations.get(caller, id);
  }
}

/** NetPad's GET /api/my/plugins/. */
@ApiController('installation', 'my/plugins')
export class MyPluginsController {
  constructor(private readonly installations: InstallationsService) {}

  @ListRoute(InstallationResponseDto, {
    summary: 'Your plugins',
    description:
      'Your effective set: one installation per plugin, your own first, else an organisation’s, else the global ' +
      'one; `effective` says whether it is on for you (an organisation’s or the global disable overrides yours).',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InstallationResponseDto>> {
    return this.installations.mine(caller, window);
  }
}

/** NetPad's organisation plugin endpoints. */
@ApiController('installation', 'org/plugins')
export class OrgPluginsController {
  constructor(
    private readonly installations: InstallationsService,
    private readonly orgPlugins: OrgPluginsService,
  ) {}

  @ListRoute(InstallationResponseDto, {
    summary: 'Organisation plugins',
    description: 'The installations of an organisation (`org`, slug or id), or of every organisation you belong to.',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: OrgPluginsQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InstallationResponseDto>> {
    return this.installations.forOrgs(caller, query.org, window);
  }

  @Post(':plugin/enable')
  @Idempotent()
  @ApiCreatedResponse({ type: InstallationResponseDto, description: 'Installed for the organisation and started.' })
  @ApiOkResponse({ type: InstallationResponseDto, description: 'The organisation’s installation, started.' })
  @Endpoint({
    summary: 'Enable a plugin for an organisation',
    description:
      'Owners and admins of the organisation: installs the plugin there (201) if it is not yet, with its ' +
      'dependencies, and starts it; an installed one that is disabled or failed is started (200).',
    errors: [
      ...IDEMPOTENCY_ERRORS,
      ...RESOLUTION_ERRORS,
      UnknownPluginError,
      DependencyInactiveError,
      PluginKilledError,
      InvalidConfigError,
      MissingRequiredSettingsError,
      GrantNotRequestedError,
      InvalidTransitionError,
      NotInstallationManagerError,
      OperationInProgressError,
      PluginStartupFailedError,
    ],
  })
  async enable(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: OrgQueryDto,
    @Body() dto: OrgEnablePluginDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InstallationResponseDto> {
    const { created, installation } = await this.orgPlugins.enable(caller, key, query.org, dto);
    void reply.status(created ? 201 : 200);
    return installation;
  }

  @Delete(':plugin/disable')
  @Endpoint({
    summary: 'Disable a plugin for an organisation',
    description:
      'Owners and admins of the organisation: stops the organisation’s installation; it is then off for every ' +
      'member, including those who installed it themselves.',
    errors: [...INSTALLATION_WRITE_ERRORS, InvalidTransitionError],
  })
  disable(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Query() query: OrgDisableQueryDto,
  ): Promise<InstallationResponseDto> {
    return this.orgPlugins.disable(caller, key, query.org, query.reason);
  }
}
